#include "04-rnn/text_report.hpp"

#include <cstdio>

namespace dlfs {

TextCorpus load_corpus_and_report(const std::string& fortunes_dir, const std::string& text_path,
                                  const std::string& split_dir) {
  TextCorpus corpus = text_path.empty() ? load_fortunes(fortunes_dir) : load_text_file(text_path);
  const CleaningCounts& c = corpus.cleaning;
  std::printf("text: %s: %zu entries for training, %zu for validation (%zu duplicates dropped)\n", corpus.source.c_str(),
              corpus.train_entries, corpus.validation_entries, corpus.duplicates);
  std::printf("cleaning: %zu invalid UTF-8 bytes dropped, %zu mis-encoded characters repaired, %zu overstruck "
              "characters replaced, %zu control characters dropped\n",
              c.invalid_bytes, c.mojibake_repairs, c.overstruck, c.control_dropped);
  if (!split_dir.empty()) {
    write_split(split_dir, corpus);
    std::printf("wrote the split to %s/train.txt and %s/validation.txt\n", split_dir.c_str(), split_dir.c_str());
  }
  return corpus;
}

SplitIds encode_split_and_report(const TextSplit& split, const Vocabulary& vocabulary,
                                 const std::string& vocabulary_origin) {
  std::size_t unknown_train = 0, unknown_validation = 0;
  SplitIds ids{vocabulary.encode_known(split.train, &unknown_train),
               vocabulary.encode_known(split.validation, &unknown_validation)};
  std::printf("training %s characters, validation %s characters, vocabulary %zu (%s)\n",
              with_commas(ids.train.size()).c_str(), with_commas(ids.validation.size()).c_str(), vocabulary.size(),
              vocabulary_origin.c_str());
  if (unknown_train + unknown_validation > 0)
    std::printf("characters not in the vocabulary, left out: %zu of the training text, %zu of the validation text\n",
                unknown_train, unknown_validation);
  return ids;
}

std::string with_commas(std::size_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace dlfs
