// The fuzz targets: one per loader of untrusted bytes, each in a file of its own (fuzz_<name>.cpp).
// A target takes any bytes, hands them to the loader the programs use, the way the programs use it,
// applies the rule of fuzz_input.hpp, and returns whether the input loaded. libfuzzer_main.cpp runs
// one of them under libFuzzer; test_replay.cpp runs all of them on the committed corpus and
// regressions, in the ordinary build.
//
// Next to each target, its seeds: seed_<name>(dir) writes a few small valid inputs, made by the
// book's own writers (save_model, gzip, ...) so that they are exactly what the loader expects.
// make_corpus.cpp adds a few broken copies and writes tests/fuzz/corpus/<name>/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_input.hpp"

namespace dlfs::fuzz {

bool fuzz_csv(Bytes bytes);            // 01: read_csv, then a data set as the perceptron builds it
bool fuzz_idx(Bytes bytes);            // common: read_idx, gzipped or plain
bool fuzz_fashion_mnist(Bytes bytes);  // common: load_fashion_mnist on a directory of IDX files
bool fuzz_model(Bytes bytes);          // common: load_model into chapter 02's MLP, as mlp --load does
bool fuzz_checkpoint(Bytes bytes);     // 08: Trainer::resume, as the examples' --resume does
bool fuzz_text(Bytes bytes);           // 04: load_text_file, and load_fortunes on a directory
bool fuzz_weather(Bytes bytes);        // 04: read_weather, and the forecaster's split and scaling
bool fuzz_char_model(Bytes bytes);     // 04: load_char_model (charlm --load)
bool fuzz_gpt(Bytes bytes);            // 06: load_gpt (gpt --load)

void seed_csv(const std::string& dir);
void seed_idx(const std::string& dir);
void seed_fashion_mnist(const std::string& dir);
void seed_model(const std::string& dir);
void seed_checkpoint(const std::string& dir);
void seed_text(const std::string& dir);
void seed_weather(const std::string& dir);
void seed_char_model(const std::string& dir);
void seed_gpt(const std::string& dir);

struct Target {
  const char* name;  // tests/fuzz/corpus/<name>/, build-fuzz/tests/fuzz/fuzz-<name>
  bool (*run)(Bytes);  // true when the loader accepted the input, false on a clean rejection
  void (*seed)(const std::string& dir);
};

// Every target, in the order ./dlfs fuzz runs them.
const std::vector<Target>& targets();
// The target called name; throws std::invalid_argument listing the names when there is none.
const Target& target(std::string_view name);

}  // namespace dlfs::fuzz
