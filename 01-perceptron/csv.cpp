#include "01-perceptron/csv.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace dlfs {

CsvError::CsvError(const std::string& source, std::size_t line, std::size_t column, const std::string& message)
    : std::runtime_error(source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message),
      source_(source),
      line_(line),
      column_(column) {}

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// A printable rendering of one character for error messages: 'x', or its name.
std::string describe(char c) {
  if (c == '\t') return "a tab";
  if (static_cast<unsigned char>(c) < 0x20) return "control character " + std::to_string(int(c));
  return std::string("'") + c + "'";
}

// The scanner: walks the text once, knowing at every step which line and column it is on.
class Scanner {
 public:
  Scanner(std::string_view text, const std::string& source) : text_(text), source_(source) {
    // A UTF-8 byte-order mark (EF BB BF), which some spreadsheets write, is not data.
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = line_start_ = 3;
  }

  bool at_end() const { return pos_ >= text_.size(); }
  bool at_line_end() const { return at_end() || text_[pos_] == '\n' || text_[pos_] == '\r'; }
  std::size_t line() const { return line_; }
  std::size_t column() const { return pos_ - line_start_ + 1; }

  [[noreturn]] void fail(std::size_t line, std::size_t column, const std::string& message) const {
    throw CsvError(source_, line, column, message);
  }

  // Consumes the line break at the cursor, "\n", "\r\n" or a lone "\r", and starts the next line.
  void newline() {
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
    line_start_ = pos_;
  }

  // True (and the line consumed) when the current line holds nothing but spaces and tabs.
  bool skip_blank_line() {
    std::size_t p = pos_;
    while (p < text_.size() && is_blank(text_[p])) ++p;
    if (p < text_.size() && text_[p] != '\n' && text_[p] != '\r') return false;
    pos_ = p;
    if (at_end()) return true;
    newline();
    return true;
  }

  // One record: fields separated by ',' up to the end of the line (a quoted field may span lines).
  CsvRow record() {
    CsvRow row;
    row.line = line_;
    for (;;) {
      row.fields.push_back(field());
      if (!at_end() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      return row;  // at a line end or the end of the text: the caller consumes it
    }
  }

 private:
  CsvField field() {
    CsvField f;
    // Leading spaces are not part of an unquoted field, and may precede an opening quote.
    while (!at_end() && is_blank(text_[pos_])) ++pos_;
    f.line = line_;
    f.column = column();
    if (!at_end() && text_[pos_] == '"') {
      quoted(f);
    } else {
      const std::size_t begin = pos_;
      while (!at_end() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') ++pos_;
      f.text = std::string(trim(text_.substr(begin, pos_ - begin)));
    }
    return f;
  }

  // A quoted field: everything up to the matching quote, where "" stands for one ".
  void quoted(CsvField& f) {
    ++pos_;  // the opening quote
    for (;;) {
      if (at_end()) fail(f.line, f.column, "unterminated quoted field: the '\"' opened here is never closed");
      const char c = text_[pos_];
      if (c == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {  // "" -> "
          f.text += '"';
          pos_ += 2;
          continue;
        }
        ++pos_;  // the closing quote
        break;
      }
      if (c == '\n' || c == '\r') {  // a line break inside quotes is data; keep it as "\n"
        f.text += '\n';
        newline();
        continue;
      }
      f.text += c;
      ++pos_;
    }
    while (!at_end() && is_blank(text_[pos_])) ++pos_;
    if (!at_line_end() && text_[pos_] != ',')
      fail(line_, column(),
           "unexpected " + describe(text_[pos_]) + " after a closing quote (write a quote inside a quoted field as \"\")");
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t line_start_ = 0;
};

}  // namespace

CsvTable parse_csv(std::string_view text, const std::string& source) {
  CsvTable table;
  table.source = source;
  Scanner scan(text, source);
  bool have_header = false;
  while (!scan.at_end()) {
    if (scan.skip_blank_line()) continue;
    CsvRow row = scan.record();
    if (!have_header) {
      // The header: every column needs a name, and a name may be used once (we look columns up by name).
      for (std::size_t c = 0; c < row.fields.size(); ++c) {
        const CsvField& f = row.fields[c];
        if (f.text.empty())
          scan.fail(f.line, f.column, "column " + std::to_string(c + 1) + " of the header has no name");
        for (std::size_t d = 0; d < c; ++d)
          if (table.header[d] == f.text)
            scan.fail(f.line, f.column,
                      "duplicate column name '" + f.text + "' (also column " + std::to_string(d + 1) + ")");
        table.header.push_back(f.text);
      }
      have_header = true;
    } else if (row.fields.size() != table.header.size()) {
      // A ragged record. Point at the first extra field, or at the end of a short record.
      const std::string counts = "record has " + std::to_string(row.fields.size()) + " fields but the header has " +
                                 std::to_string(table.header.size());
      if (row.fields.size() > table.header.size()) {
        const CsvField& extra = row.fields[table.header.size()];
        scan.fail(extra.line, extra.column, counts);
      }
      scan.fail(scan.line(), scan.column(), counts);
    } else {
      table.rows.push_back(std::move(row));
    }
    if (!scan.at_end()) scan.newline();
  }
  if (!have_header) scan.fail(1, 1, "empty file: expected a header row naming the columns");
  return table;
}

CsvTable read_csv(const std::string& path) {
  // A directory opens as a stream that reads nothing: it would be reported as an empty file.
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw std::runtime_error(path + ": is a directory, not a CSV file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error(path + ": read error: " + std::strerror(errno));
  return parse_csv(text.str(), path);
}

bool parse_float(std::string_view text, float& value) {
  text = trim(text);
  // from_chars takes no '+': one is dropped, but a second sign after it ("+-5", "++5") is no number.
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) return false;
  }
  if (text.empty()) return false;
  float v = 0.0f;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
  // The whole field must be the number ("5.1cm" is not 5.1), and a finite one: a NaN would
  // silently poison every statistic a scaler computes.
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return false;
  value = v;
  return true;
}

std::size_t CsvTable::column_index(const std::string& name) const {
  for (std::size_t c = 0; c < header.size(); ++c)
    if (header[c] == name) return c;
  std::string columns;
  for (const std::string& h : header) columns += (columns.empty() ? "" : ", ") + h;
  throw std::invalid_argument("'" + name + "' is not a column of " + source + "; columns: " + columns);
}

std::vector<std::string> CsvTable::text_column(std::size_t column) const {
  std::vector<std::string> values;
  values.reserve(rows.size());
  for (const CsvRow& row : rows) values.push_back(row.fields.at(column).text);
  return values;
}

float CsvTable::number(std::size_t row, std::size_t column) const {
  const CsvField& f = rows.at(row).fields.at(column);
  float v = 0.0f;
  if (!parse_float(f.text, v))
    throw CsvError(source, f.line, f.column, "expected a number in column '" + header[column] + "', found '" + f.text + "'");
  return v;
}

std::vector<float> CsvTable::numeric_column(std::size_t column, const std::vector<std::size_t>& which) const {
  std::vector<float> values;
  values.reserve(which.size());
  for (std::size_t r : which) values.push_back(number(r, column));
  return values;
}

std::vector<std::size_t> CsvTable::all_rows() const {
  std::vector<std::size_t> r(rows.size());
  for (std::size_t i = 0; i < r.size(); ++i) r[i] = i;
  return r;
}

}  // namespace dlfs
