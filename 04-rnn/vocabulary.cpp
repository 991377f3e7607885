#include "04-rnn/vocabulary.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "04-rnn/utf8.hpp"

namespace dlfs {

Vocabulary Vocabulary::from_text(std::u32string_view text) {
  const std::set<char32_t> distinct(text.begin(), text.end());  // sorted
  return Vocabulary(std::u32string(distinct.begin(), distinct.end()));
}

Vocabulary::Vocabulary(std::u32string characters) : characters_(std::move(characters)) {
  for (std::size_t i = 0; i < characters_.size(); ++i)
    if (!ids_.emplace(characters_[i], int(i)).second)
      throw std::invalid_argument("Vocabulary: " + describe_character(characters_[i]) + " appears twice");
}

int Vocabulary::id(char32_t c) const {
  const auto it = ids_.find(c);
  return it == ids_.end() ? -1 : it->second;
}

std::vector<int> Vocabulary::encode(std::u32string_view text) const {
  std::vector<int> ids;
  ids.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int k = id(text[i]);
    if (k < 0)
      throw std::invalid_argument(describe_character(text[i]) + " at character " + std::to_string(i + 1) +
                                  " is not in the vocabulary (" + std::to_string(size()) +
                                  " characters, those of the training text)");
    ids.push_back(k);
  }
  return ids;
}

std::vector<int> Vocabulary::encode_known(std::u32string_view text, std::size_t* dropped) const {
  std::vector<int> ids;
  ids.reserve(text.size());
  std::size_t unknown = 0;
  for (char32_t c : text) {
    const int k = id(c);
    if (k < 0) ++unknown;
    else ids.push_back(k);
  }
  if (dropped) *dropped += unknown;
  return ids;
}

std::u32string Vocabulary::decode(const std::vector<int>& ids) const {
  std::u32string text;
  text.reserve(ids.size());
  for (int k : ids) {
    if (k < 0 || std::size_t(k) >= size())
      throw std::invalid_argument("Vocabulary::decode: id " + std::to_string(k) + " is not in [0, " +
                                  std::to_string(size()) + ")");
    text.push_back(characters_[std::size_t(k)]);
  }
  return text;
}

std::string Vocabulary::to_metadata() const { return code_points_to_text(characters_); }

Vocabulary Vocabulary::from_metadata(const std::string& text) {
  std::u32string characters = code_points_from_text(text);
  if (characters.empty()) throw std::invalid_argument("the vocabulary is empty");
  return Vocabulary(std::move(characters));
}

std::string code_points_to_text(std::u32string_view text) {
  std::string out;
  for (char32_t c : text) {
    if (!out.empty()) out += ',';
    out += std::to_string(std::uint32_t(c));
  }
  return out;
}

std::u32string code_points_from_text(const std::string& text) {
  std::u32string characters;
  if (text.empty()) return characters;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    const bool digits = !item.empty() && item.size() <= 7 &&
                        std::all_of(item.begin(), item.end(), [](char d) { return d >= '0' && d <= '9'; });
    const unsigned long value = digits ? std::stoul(item) : 0;
    if (!digits || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
      throw std::invalid_argument("'" + item + "' is not a code point (expected a list such as 10,32,33)");
    characters.push_back(char32_t(value));
    start = end + 1;
  }
  return characters;
}

std::string describe_character(char32_t c) {
  if (c == U'\n') return "'\\n'";
  if (c == U'\t') return "'\\t'";
  if (c >= 0x20 && c < 0x7F) return std::string("'") + char(c) + "'";
  char code[16];
  std::snprintf(code, sizeof code, "U+%04X", unsigned(c));
  const bool printable = c > 0x9F && c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF);
  if (!printable) return code;
  std::string glyph;
  append_utf8(glyph, c);
  return "'" + glyph + "' (" + code + ")";
}

}  // namespace dlfs
