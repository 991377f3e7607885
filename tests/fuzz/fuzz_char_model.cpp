// Chapter 04's character model files, loaded as charlm --load FILE does: load_char_model reads the
// metadata (cell, sizes, vocabulary), builds that model, then loads its weights into it. The sizes
// come from the file, so this loader must not build a model larger than the file could fill.
#include "04-rnn/char_model.hpp"
#include "tests/fuzz/targets.hpp"

namespace dlfs::fuzz {

bool fuzz_char_model(Bytes bytes) {
  const std::string path = write_file("input.safetensors", bytes);
  return loads(path, [&] { load_char_model(path); });
}

void seed_char_model(const std::string& dir) {
  // Tiny models of each cell, over a vocabulary of a few characters (one beyond ASCII).
  const Vocabulary vocabulary = Vocabulary::from_text(U"%\nab c\u00e9");
  for (const CharModelConfig& config : {CharModelConfig{"lstm", 3, 4, 1}, CharModelConfig{"gru", 2, 3, 2},
                                        CharModelConfig{"rnn", 2, 2, 1}}) {
    Rng rng(3);
    Sequential model = make_char_model(config, vocabulary.size(), rng);
    save_char_model(dir + "/" + config.cell + ".safetensors", model, config, vocabulary, U"%\n");
  }
}

}  // namespace dlfs::fuzz
