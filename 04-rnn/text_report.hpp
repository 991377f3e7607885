// The first steps of a character model's program, and what it prints about them: the text loaded,
// cleaned and split, then turned into ids. charlm and chapter 06's gpt both start this way, so
// the two report the same data in the same words.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "04-rnn/text.hpp"
#include "04-rnn/vocabulary.hpp"

namespace dlfs {

// The fortunes in fortunes_dir, or the file text_path when it is not empty (load_fortunes,
// load_text_file); prints two lines (the entries of each part and the duplicates dropped; what
// cleaning changed), and when split_dir is not empty writes the split there (write_split) and says so.
TextCorpus load_corpus_and_report(const std::string& fortunes_dir, const std::string& text_path,
                                  const std::string& split_dir);

// The training and the validation text as ids of `vocabulary`, characters it lacks left out
// (encode_known). Prints their sizes and the vocabulary's, whose origin `vocabulary_origin` names
// ("from the training text", "the model's"), and what was left out, if anything.
struct SplitIds {
  std::vector<int> train, validation;
};
SplitIds encode_split_and_report(const TextSplit& split, const Vocabulary& vocabulary,
                                 const std::string& vocabulary_origin);

// 1234567 -> "1,234,567".
std::string with_commas(std::size_t n);

}  // namespace dlfs
