// Chapter 01's CSV loader as the perceptron example uses it on --csv FILE: read_csv parses the file,
// then TableEncoder turns it into numbers (the last column as the label, every other column parsed
// as a number, or, in a second pass, the first one one-hot encoded as a category).
#include "01-perceptron/csv.hpp"
#include "01-perceptron/dataset.hpp"
#include "tests/fuzz/targets.hpp"

namespace dlfs::fuzz {

bool fuzz_csv(Bytes bytes) {
  const std::string path = write_file("input.csv", bytes);
  CsvTable table;
  if (!loads(path, [&] { table = read_csv(path); })) return false;
  if (table.num_columns() < 2) return false;  // a label and at least one feature are needed
  const std::string label = table.header.back();
  bool loaded = false;  // as numbers only, or with the first column as a category
  for (const std::vector<std::string>& categorical : {std::vector<std::string>{}, {table.header.front()}}) {
    loaded |= loads(path, [&] {
      TableEncoder encoder(table, label, categorical);
      const std::vector<std::size_t> rows = table.all_rows();
      encoder.fit(rows);
      const Dataset data = encoder.transform(rows);  // (N, F)
      if (data.size() != table.num_rows()) throw Finding(path + ": " + std::to_string(data.size()) + " examples from " +
                                                         std::to_string(table.num_rows()) + " rows");
    });
  }
  return loaded;
}

void seed_csv(const std::string& dir) {
  // Iris as data/iris.csv holds it; then the habits of real files: quotes holding commas and quotes,
  // a byte-order mark, Windows line ends, blank lines, a categorical column.
  write_bytes(dir + "/iris.csv",
              "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,species\n"
              "5.1,3.5,1.4,0.2,setosa\n4.9,3.0,1.4,0.2,setosa\n7.0,3.2,4.7,1.4,versicolor\n"
              "6.4,3.2,4.5,1.5,versicolor\n6.3,3.3,6.0,2.5,virginica\n5.8,2.7,5.1,1.9,virginica\n");
  write_bytes(dir + "/quoted.csv",
              "\xEF\xBB\xBF\"name, full\",size,\"weight\",label\r\n"
              "\"Smith, John\", 1.5 ,\"70\",yes\r\n"
              "\r\n"
              "\"say \"\"hi\"\"\",+2e3,\" 0.5e1 \",\"no\nnever\"\r\n"
              "plain,-0.25,3,yes\r\n");
  write_bytes(dir + "/categorical.csv", "colour,x,y\nred,1,a\nblue,2,b\n  red ,3,a\n");
}

}  // namespace dlfs::fuzz
