// Chapter 06's GPT files, loaded as gpt --load FILE does: load_gpt reads the metadata (context,
// width, heads, layers, dropout, tying, positions, vocabulary), builds that GPT, then loads its
// weights. As with chapter 04's models, the sizes come from the file.
#include "06-transformer/gpt.hpp"
#include "tests/fuzz/targets.hpp"

namespace dlfs::fuzz {

bool fuzz_gpt(Bytes bytes) {
  const std::string path = write_file("input.safetensors", bytes);
  return loads(path, [&] { load_gpt(path); });
}

void seed_gpt(const std::string& dir) {
  // A one-block GPT of width 4 with learned positions and a tied head; one with sinusoidal positions,
  // its own head and dropout.
  const Vocabulary vocabulary = Vocabulary::from_text(U"%\nab c");
  GPTConfig tied{.vocabulary = vocabulary.size(), .context = 6, .width = 4, .heads = 2, .layers = 1};
  GPTConfig untied = tied;
  untied.tied = false, untied.positions = "sinusoidal", untied.dropout = 0.1f;
  for (const auto& [name, config] : {std::pair{"tied", tied}, std::pair{"untied", untied}}) {
    Rng rng(4);
    GPT model(config, rng);
    save_gpt(dir + "/" + name + ".safetensors", model, vocabulary, U"%\n");
  }
}

}  // namespace dlfs::fuzz
