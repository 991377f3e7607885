// Reading a CSV file by hand.
//
// CSV looks trivial ("split on commas") until a field holds a comma. The rules we follow are
// RFC 4180's, plus the habits of real files:
//   - the first non-blank record is the header: one name per column;
//   - fields are separated by ',' and records end at "\n", "\r\n" (Windows) or a lone "\r";
//   - a field may be quoted: "Smith, John" holds a comma, "say ""hi""" holds quotes ("" is one ");
//     a quoted field may even span lines;
//   - blank lines (nothing but spaces or tabs) are skipped; a UTF-8 byte-order mark is skipped;
//   - spaces around an unquoted field are dropped ("a, b" is common); inside quotes they stay;
//   - every record must have as many fields as the header.
//
// The parser keeps, for every field, the line and column where it starts, so that any later
// complaint ("expected a number") can point at the exact spot: "iris.csv:12:9: ...". Columns
// count bytes from 1, as compilers do, so an editor can jump there.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/tensor.hpp"

namespace dlfs {

// A problem in a CSV file. what() reads "file:line:column: message".
class CsvError : public std::runtime_error {
 public:
  CsvError(const std::string& source, std::size_t line, std::size_t column, const std::string& message);
  const std::string& source() const { return source_; }
  std::size_t line() const { return line_; }
  std::size_t column() const { return column_; }

 private:
  std::string source_;
  std::size_t line_, column_;
};

struct CsvField {
  std::string text;        // unquoted: "a ""b""" is stored as  a "b"
  std::size_t line = 0;    // 1-based line where the field starts
  std::size_t column = 0;  // 1-based byte column where the field starts
};

struct CsvRow {
  std::vector<CsvField> fields;  // exactly header.size() of them
  std::size_t line = 0;          // line where the record starts
};

struct CsvTable {
  std::string source;               // file name used in error messages
  std::vector<std::string> header;  // column names, in file order
  std::vector<CsvRow> rows;         // data records (blank lines dropped)

  std::size_t num_rows() const { return rows.size(); }
  std::size_t num_columns() const { return header.size(); }

  // The index of the column with this name. Throws std::invalid_argument listing the
  // columns there are: "'sepal' is not a column of iris.csv; columns: a, b, c".
  std::size_t column_index(const std::string& name) const;

  // One column's text, for a categorical column (e.g. the class label).
  std::vector<std::string> text_column(std::size_t column) const;

  // One cell parsed as a number (rows[row].fields[column]). Throws CsvError at the cell:
  // "iris.csv:12:9: expected a number in column 'sepal_width_cm', found 'abc'".
  float number(std::size_t row, std::size_t column) const;

  // One column parsed as numbers, for the given rows (all_rows() for every row). Throws
  // CsvError at the first bad cell, as number() does.
  std::vector<float> numeric_column(std::size_t column, const std::vector<std::size_t>& rows) const;

  // 0, 1, ..., num_rows() - 1.
  std::vector<std::size_t> all_rows() const;
};

// Parses CSV text. source names the text in error messages (usually the file name).
// Throws CsvError for: no header (empty input), an unterminated quoted field, a character
// after a closing quote, a record whose field count differs from the header's, an empty or
// duplicated column name.
CsvTable parse_csv(std::string_view text, const std::string& source);

// Reads and parses a file. Throws CsvError naming the file if it cannot be opened.
CsvTable read_csv(const std::string& path);

// Parses one field as a finite float, accepting surrounding spaces ("  5.1 "). Returns false
// for anything else: empty text, "abc", "5.1cm", "nan", "inf".
bool parse_float(std::string_view text, float& value);

}  // namespace dlfs
