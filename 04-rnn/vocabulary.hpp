// The vocabulary of a character model: which characters it knows, and each one's id.
//
// A token here is one Unicode character (code point), not one byte. In UTF-8 text a byte-level
// model would see "é" as two tokens that mean nothing alone, and could sample half a character;
// with code points every token is a character a reader sees, every sample is valid text, and
// "bits per character" means per character. (Byte-level would be simpler still and is the usual
// choice for large models, where any byte must be representable; for the mostly-ASCII fortunes
// the two differ only in a handful of rare characters.)
//
// The vocabulary comes from the TRAINING text only, sorted by code point, so ids do not depend on
// the order of the text. Validation text may hold a character training never saw: no id exists
// for it, and the model could not have learned to predict it. encode_known drops such characters
// and counts them, so the caller reports how many (for the fortunes: none; see the README), and
// the validation loss is measured on the characters the model can name. A prompt given to the
// sampler is the user's own text: there an unknown character is an error (encode throws).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dlfs {

class Vocabulary {
 public:
  Vocabulary() = default;
  // The distinct characters of text, sorted.
  static Vocabulary from_text(std::u32string_view text);
  // These characters, ids 0, 1, ... in this order. Throws std::invalid_argument on a repeat.
  explicit Vocabulary(std::u32string characters);

  std::size_t size() const { return characters_.size(); }  // V
  char32_t character(int id) const { return characters_.at(std::size_t(id)); }
  const std::u32string& characters() const { return characters_; }
  // The id of c, or -1 when c is not in the vocabulary.
  int id(char32_t c) const;

  // Ids of the characters of text. Throws std::invalid_argument on the first unknown character,
  // naming it and its position ("'é' (U+00E9) at character 4 is not in the vocabulary").
  std::vector<int> encode(std::u32string_view text) const;
  // Ids of the known characters of text; unknown ones are dropped and counted in *dropped.
  std::vector<int> encode_known(std::u32string_view text, std::size_t* dropped = nullptr) const;
  // The characters of ids (each in [0, V)).
  std::u32string decode(const std::vector<int>& ids) const;

  // The vocabulary as text for a model file's metadata, the code points in decimal: "9,10,32,33".
  // (Metadata values are JSON strings; as numbers, the newline, the tab and every other character
  // need no escaping, and the header stays readable in a text editor.)
  std::string to_metadata() const;
  // Parses to_metadata's text; throws std::invalid_argument on anything else.
  static Vocabulary from_metadata(const std::string& text);

 private:
  std::u32string characters_;                 // (V) id -> character
  std::unordered_map<char32_t, int> ids_;     // character -> id
};

// Characters as their code points in decimal, comma-separated ("10,37,10" for "\n%\n"), and back:
// how a model file's metadata (JSON strings) stores text that may hold any character.
// code_points_from_text throws std::invalid_argument on anything but such a list.
std::string code_points_to_text(std::u32string_view text);
std::u32string code_points_from_text(const std::string& text);

// A character for messages: 'a', '\n', '\t', or 'é' (U+00E9) for anything outside printable ASCII.
std::string describe_character(char32_t c);

}  // namespace dlfs
