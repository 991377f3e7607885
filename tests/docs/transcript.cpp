#include "tests/docs/transcript.hpp"

#include <regex>
#include <sstream>
#include <stdexcept>

namespace dlfs::docs {

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

std::string trim_right(const std::string& s) {
  const auto end = s.find_last_not_of(" \t\r");
  return end == std::string::npos ? "" : s.substr(0, end + 1);
}

bool is_fence(const std::string& line) { return trim(line).rfind("```", 0) == 0; }

std::runtime_error error_at(const std::string& path, std::size_t line, const std::string& what) {
  return std::runtime_error(path + ":" + std::to_string(line) + ": " + what);
}

// The commands and their expected output lines of one fenced block.
std::vector<Command> parse_block(const std::vector<std::string>& lines, std::size_t first_line,
                                 const std::string& path) {
  std::vector<Command> commands;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.rfind("$ ", 0) == 0) {
      Command c{line.substr(2), {}, first_line + i};
      // A trailing backslash continues the command, as in the shell.
      while (!c.text.empty() && c.text.back() == '\\' && i + 1 < lines.size()) c.text += "\n" + lines[++i];
      commands.push_back(std::move(c));
    } else if (commands.empty()) {
      throw error_at(path, first_line + i, "transcript output before its first command (a line starting with \"$ \")");
    } else {
      commands.back().expected.push_back(line);
    }
  }
  if (commands.empty()) throw error_at(path, first_line, "transcript without a command (a line starting with \"$ \")");
  return commands;
}

// "..." as a whole word is a wildcard: it becomes '\x01', which glob() matches with any text.
std::string wildcard_words(const std::string& pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    const bool word_start = i == 0 || pattern[i - 1] == ' ';
    const bool word_end = i + 3 == pattern.size() || (i + 3 < pattern.size() && pattern[i + 3] == ' ');
    if (pattern.compare(i, 3, "...") == 0 && word_start && word_end) {
      out += '\x01';
      i += 3;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

// Whether `text` matches `pattern`, where '\x01' matches any run of characters.
bool glob(const std::string& pattern, const std::string& text) {
  std::size_t p = 0, t = 0, star = std::string::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '\x01') {
      star = p++, resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p, ++t;
    } else if (star != std::string::npos) {
      p = star + 1, t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '\x01') ++p;
  return p == pattern.size();
}

// Both sides masked and without trailing spaces; the expected side's "..." words are wildcards.
std::string prepare_expected(const std::string& line) { return wildcard_words(trim_right(mask_varying(line))); }
std::string prepare_actual(const std::string& line) { return trim_right(mask_varying(line)); }

}  // namespace

std::vector<Transcript> parse_transcripts(const std::string& markdown, const std::string& path) {
  const std::vector<std::string> lines = split_lines(markdown);
  std::vector<Transcript> transcripts;
  const Transcript* pending = nullptr;  // a marker still waiting for its block
  Transcript marker;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string line = trim(lines[i]);
    if (line.rfind("<!-- transcript", 0) == 0) {
      if (line.size() < 3 || line.compare(line.size() - 3, 3, "-->") != 0)
        throw error_at(path, i + 1, "a transcript marker is one line ending in \"-->\"");
      const std::string rest = trim(line.substr(15, line.size() - 18));
      marker = Transcript{i + 1, false, "", {}};
      if (rest.rfind(": measured", 0) == 0) {
        marker.measured = true;
        marker.note = trim(rest.substr(10));
        if (!std::regex_search(marker.note, std::regex("\\b\\d{4}-\\d{2}-\\d{2}\\b")))
          throw error_at(path, i + 1, "a measured transcript says when: <!-- transcript: measured YYYY-MM-DD on <machine> -->");
      } else if (!rest.empty()) {
        throw error_at(path, i + 1, "unknown transcript marker (expected <!-- transcript --> or <!-- transcript: measured ... -->)");
      }
      pending = &marker;
      continue;
    }
    if (line.empty()) continue;
    if (!is_fence(lines[i])) {
      if (pending) throw error_at(path, pending->line, "transcript marker without a code block after it");
      continue;
    }
    // A fenced block: lines[i] opens it, the next fence closes it.
    std::size_t end = i + 1;
    while (end < lines.size() && !is_fence(lines[end])) ++end;
    if (end == lines.size()) throw error_at(path, i + 1, "code block never closed");
    const std::vector<std::string> body(lines.begin() + std::ptrdiff_t(i) + 1, lines.begin() + std::ptrdiff_t(end));
    if (pending) {
      Transcript t = marker;
      t.commands = parse_block(body, i + 2, path);
      transcripts.push_back(std::move(t));
      pending = nullptr;
    } else if (!body.empty() && body.front().rfind("$ ", 0) == 0) {
      throw error_at(path, i + 1,
                     "a command with its output but no marker: put <!-- transcript --> (checked) or "
                     "<!-- transcript: measured YYYY-MM-DD on <machine> --> (too long to check) before it");
    }
    i = end;
  }
  if (pending) throw error_at(path, pending->line, "transcript marker without a code block after it");
  return transcripts;
}

std::string mask_varying(const std::string& line) {
  // Keys that hold a duration or a size: seconds=18.3, seconds_per_epoch=1.169, peak_rss_mb=161.9.
  static const std::regex key(R"(\b(\w*seconds\w*|\w*_mb)=\S+)");
  // Rates and sizes: 105980 samples/s, 162 MB.
  static const std::regex rate(R"(\b\d+(\.\d+)? (\w+)/s\b)");
  static const std::regex size(R"(\b\d+(\.\d+)? ?(MB|MiB|GB|GiB|KB|KiB|kB)\b)");
  // Durations: a number directly followed by "s", as in (0.32s) or took 0.6s.
  static const std::regex duration(R"(\b\d+(\.\d+)?s\b)");
  std::string out = std::regex_replace(line, key, "$1=\xe2\x80\xa6");
  out = std::regex_replace(out, rate, "\xe2\x80\xa6 $2/s");
  out = std::regex_replace(out, size, "\xe2\x80\xa6 $2");
  return std::regex_replace(out, duration, "\xe2\x80\xa6s");
}

bool output_matches(const std::vector<std::string>& expected, const std::vector<std::string>& actual) {
  // match[i][j]: expected[i..] matches actual[j..]. A "..." line matches zero or more lines.
  const std::size_t m = expected.size(), n = actual.size();
  std::vector<std::string> want, got;
  for (const std::string& line : expected) want.push_back(prepare_expected(line));
  for (const std::string& line : actual) got.push_back(prepare_actual(line));
  std::vector<std::vector<char>> match(m + 1, std::vector<char>(n + 1, 0));
  match[m][n] = 1;
  for (std::size_t i = m; i-- > 0;) {
    const bool gap = trim(expected[i]) == "...";
    for (std::size_t j = n + 1; j-- > 0;) {
      if (gap) match[i][j] = match[i + 1][j] || (j < n && match[i][j + 1]);
      else match[i][j] = j < n && match[i + 1][j + 1] && glob(want[i], got[j]);
    }
  }
  return match[0][0];
}

}  // namespace dlfs::docs
