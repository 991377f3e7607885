#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "01-perceptron/csv.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;

namespace {

// The message of the CsvError that parsing `text` throws, or "" if it parses.
std::string parse_error(const std::string& text) {
  try {
    parse_csv(text, "t.csv");
  } catch (const CsvError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// ---- what parses ----

TEST_CASE("CSV parsing reads the header and every record as text", "[01-perceptron][csv]") {
  const CsvTable t = parse_csv("a,b,c\n1,2,x\n3,4,y\n", "t.csv");
  CHECK(t.source == "t.csv");
  CHECK(t.header == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(t.num_rows() == 2);
  CHECK(t.rows[1].fields[2].text == "y");
  CHECK(t.rows[1].line == 3);
  CHECK(t.text_column(2) == std::vector<std::string>{"x", "y"});
  CHECK(t.numeric_column(1, t.all_rows()) == std::vector<float>{2.0f, 4.0f});
}

TEST_CASE("CSV fields remember the line and column where they start", "[01-perceptron][csv]") {
  const CsvTable t = parse_csv("name,value\nalpha,  12.5\n", "t.csv");
  const CsvField& f = t.rows[0].fields[1];
  CHECK(f.text == "12.5");  // spaces around an unquoted field are dropped
  CHECK(f.line == 2);
  CHECK(f.column == 9);     // the first character of the field, after the spaces
}

TEST_CASE("CSV quoted fields hold commas, quotes and line breaks", "[01-perceptron][csv]") {
  const CsvTable t = parse_csv("name,quote\n\"Smith, John\",\"say \"\"hi\"\"\"\n\"two\nlines\",\"\"\nlast,x\n", "t.csv");
  REQUIRE(t.num_rows() == 3);
  CHECK(t.rows[0].fields[0].text == "Smith, John");
  CHECK(t.rows[0].fields[1].text == "say \"hi\"");
  CHECK(t.rows[1].fields[0].text == "two\nlines");
  CHECK(t.rows[1].fields[1].text == "");  // "" is an empty quoted field
  CHECK(t.rows[1].fields[1].line == 4);   // the record started on line 3 and continued on line 4
  CHECK(t.rows[2].line == 5);             // and line counting went on correctly
}

TEST_CASE("CSV quoted fields keep their inner spaces and allow spaces outside the quotes", "[01-perceptron][csv]") {
  const CsvTable t = parse_csv("a,b\n \"  padded \" ,x\n", "t.csv");
  CHECK(t.rows[0].fields[0].text == "  padded ");
  CHECK(t.rows[0].fields[1].text == "x");
}

TEST_CASE("CSV parsing skips blank lines and accepts CRLF, lone CR and a missing final newline",
          "[01-perceptron][csv]") {
  const CsvTable t = parse_csv("\r\na,b\r\n\r\n1,2\r\n   \r\n3,4\r5,6", "t.csv");
  CHECK(t.header == std::vector<std::string>{"a", "b"});
  REQUIRE(t.num_rows() == 3);
  CHECK(t.rows[0].fields[1].text == "2");  // no '\r' left on the last field
  CHECK(t.rows[0].line == 4);
  CHECK(t.rows[1].line == 6);
  CHECK(t.rows[2].line == 7);
  CHECK(t.rows[2].fields[1].text == "6");
}

TEST_CASE("CSV parsing turns CRLF inside a quoted field into one newline", "[01-perceptron][csv]") {
  const CsvTable t = parse_csv("a\r\n\"x\r\ny\"\r\n", "t.csv");
  CHECK(t.rows[0].fields[0].text == "x\ny");
}

TEST_CASE("CSV parsing skips a UTF-8 byte-order mark", "[01-perceptron][csv]") {
  const CsvTable t = parse_csv("\xEF\xBB\xBFid,v\n1,2\n", "t.csv");
  CHECK(t.header[0] == "id");
}

TEST_CASE("CSV parsing keeps empty fields, including a trailing one", "[01-perceptron][csv]") {
  const CsvTable t = parse_csv("a,b,c\n1,,\n", "t.csv");
  REQUIRE(t.rows[0].fields.size() == 3);
  CHECK(t.rows[0].fields[1].text.empty());
  CHECK(t.rows[0].fields[2].text.empty());
}

TEST_CASE("CSV parsing accepts a header with no data rows", "[01-perceptron][csv]") {
  const CsvTable t = parse_csv("a,b\n", "t.csv");
  CHECK(t.num_columns() == 2);
  CHECK(t.num_rows() == 0);
}

TEST_CASE("parse_float takes whole finite numbers and nothing else", "[01-perceptron][csv]") {
  float v = 0.0f;
  CHECK(parse_float("5.1", v));
  CHECK(v == 5.1f);
  CHECK(parse_float(" -2e-3 ", v));
  CHECK(v == -2e-3f);
  CHECK(parse_float("+7", v));
  CHECK(v == 7.0f);
  for (const char* bad : {"", "  ", "abc", "5.1cm", "5,1", "nan", "inf", "-inf", "1e999", "+", "--1", "+-5", "++5"}) {
    INFO("text: '" << bad << "'");
    CHECK_FALSE(parse_float(bad, v));
  }
}

// ---- every error names the file, the line and the column ----

TEST_CASE("CSV parsing rejects an empty file", "[01-perceptron][csv][errors]") {
  CHECK(parse_error("") == "t.csv:1:1: empty file: expected a header row naming the columns");
  CHECK(parse_error("\n  \n\r\n") == "t.csv:1:1: empty file: expected a header row naming the columns");
}

TEST_CASE("CSV parsing points at the opening quote of an unterminated quoted field", "[01-perceptron][csv][errors]") {
  CHECK(parse_error("a,b\n1,2\n3,\"open\n4,5\n") ==
        "t.csv:3:3: unterminated quoted field: the '\"' opened here is never closed");
}

TEST_CASE("CSV parsing rejects text after a closing quote", "[01-perceptron][csv][errors]") {
  CHECK(parse_error("a,b\n\"x\"y,2\n") ==
        "t.csv:2:4: unexpected 'y' after a closing quote (write a quote inside a quoted field as \"\")");
}

TEST_CASE("CSV parsing rejects a record with too few fields at its end", "[01-perceptron][csv][errors]") {
  CHECK(parse_error("a,b,c\n1,2,3\n4,5\n") == "t.csv:3:4: record has 2 fields but the header has 3");
}

TEST_CASE("CSV parsing rejects a record with too many fields at the first extra one", "[01-perceptron][csv][errors]") {
  CHECK(parse_error("a,b\r\n1,2\r\n3,4,55\r\n") == "t.csv:3:5: record has 3 fields but the header has 2");
}

TEST_CASE("CSV parsing rejects a header column without a name", "[01-perceptron][csv][errors]") {
  CHECK(parse_error("a,,c\n1,2,3\n") == "t.csv:1:3: column 2 of the header has no name");
}

TEST_CASE("CSV parsing rejects a duplicated column name", "[01-perceptron][csv][errors]") {
  CHECK(parse_error("x,y,x\n1,2,3\n") == "t.csv:1:5: duplicate column name 'x' (also column 1)");
}

TEST_CASE("CsvError carries the file, line and column it reports", "[01-perceptron][csv][errors]") {
  try {
    parse_csv("a,b\n1\n", "data/file.csv");
    FAIL("no error");
  } catch (const CsvError& e) {
    CHECK(e.source() == "data/file.csv");
    CHECK(e.line() == 2);
    CHECK(e.column() == 2);
  }
}

TEST_CASE("A cell that is not a number is reported at its line and column", "[01-perceptron][csv][errors]") {
  const CsvTable t = parse_csv("sepal,petal,species\n5.1,1.4,setosa\n4.9, abc ,setosa\n", "iris.csv");
  CHECK(t.number(0, 0) == 5.1f);
  CHECK_THROWS_WITH(t.number(1, 1), "iris.csv:3:6: expected a number in column 'petal', found 'abc'");
  CHECK_THROWS_WITH(t.numeric_column(2, t.all_rows()),
                    "iris.csv:2:9: expected a number in column 'species', found 'setosa'");
}

TEST_CASE("An empty cell where a number is expected is reported", "[01-perceptron][csv][errors]") {
  const CsvTable t = parse_csv("a,b\n1,\n", "t.csv");
  CHECK_THROWS_WITH(t.number(0, 1), "t.csv:2:3: expected a number in column 'b', found ''");
}

TEST_CASE("Asking for a column that does not exist lists the columns there are", "[01-perceptron][csv][errors]") {
  const CsvTable t = parse_csv("a,b\n1,2\n", "t.csv");
  CHECK(t.column_index("b") == 1);
  CHECK_THROWS_WITH(t.column_index("label"), "'label' is not a column of t.csv; columns: a, b");
}

// ---- files ----

TEST_CASE("read_csv reads a file with Windows line endings and names it in errors", "[01-perceptron][csv]") {
  const std::string dir = test::scratch_dir("01-perceptron-csv");
  const std::string good = dir + "/good.csv", bad = dir + "/bad.csv";
  std::ofstream(good, std::ios::binary) << "x,label\r\n1.5,yes\r\n-2,no\r\n";
  std::ofstream(bad, std::ios::binary) << "x,label\r\n1.5,yes\r\n\"-2,no\r\n";
  const CsvTable t = read_csv(good);
  CHECK(t.source == good);
  CHECK(t.numeric_column(0, t.all_rows()) == std::vector<float>{1.5f, -2.0f});
  CHECK_THROWS_WITH(read_csv(bad), bad + ":3:1: unterminated quoted field: the '\"' opened here is never closed");
}

TEST_CASE("read_csv names a file it cannot open", "[01-perceptron][csv][errors]") {
  const std::string path = test::scratch_dir("01-perceptron-csv-missing") + "/missing.csv";
  CHECK_THROWS_WITH(read_csv(path), path + ": cannot open: No such file or directory");
  const std::string dir = test::scratch_dir("01-perceptron-csv-directory");
  CHECK_THROWS_WITH(read_csv(dir), dir + ": is a directory, not a CSV file");
}
