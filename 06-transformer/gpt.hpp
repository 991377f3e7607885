// A GPT: a decoder-only Transformer language model (Radford et al. 2018, 2019), small enough for a CPU.
//
//   ids (B, T) -> token embedding (V, D)             chapter 04's Embedding        (B, T, D)
//              -> + positions                         positional_encoding.hpp       (B, T, D)
//              -> Dropout                             chapter 05                     (B, T, D)
//              -> N x TransformerBlock                transformer_block.hpp          (B, T, D)
//              -> LayerNorm                           chapter 05 ("ln_f")            (B, T, D)
//              -> language-model head D -> V          Dense, or TiedLinear on the token embedding
//              -> logits (B, T, V)
//
// Logit [b, t, :] scores the character that follows position t, and the causal mask lets it see
// positions 0..t only, so one forward pass over a window of T characters makes T predictions, each
// from its own prefix, trained together by chapter 02's softmax cross-entropy per position. (An
// RNN gets the same from its recurrence, but must take the T steps one after another; here all T
// positions are computed at once, by matrix multiplies.)
//
// Initialization follows GPT-2 (and nanoGPT): every Dense weight and the embeddings from
// N(0, 0.02^2), biases 0, LayerNorms gamma 1, beta 0, and the two projections that end a residual
// branch (self_attn.out_proj, linear2) from N(0, (0.02 / sqrt(2N))^2): each of the 2N branches
// adds to the residual stream, and the smaller start keeps the stream's variance from growing with N.
//
// Parameter names: "token_embedding.weight" (V, D), "position_embedding.weight" (context, D) when
// learned, "blocks.<i>.<block parameter>" (transformer_block.hpp), "ln_f.weight", "ln_f.bias",
// and "lm_head.weight" (V, D), "lm_head.bias" (V) when the head is not tied.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "02-mlp/dense.hpp"
#include "04-rnn/embedding.hpp"
#include "04-rnn/vocabulary.hpp"
#include "05-regularization/dropout.hpp"
#include "05-regularization/dropout_streams.hpp"
#include "05-regularization/layer_norm.hpp"
#include "06-transformer/positional_encoding.hpp"
#include "06-transformer/transformer_block.hpp"
#include "common/safetensors.hpp"

namespace dlfs {

struct GPTConfig {
  std::size_t vocabulary = 0;         // V
  std::size_t context = 64;           // the longest window, in tokens
  std::size_t width = 128;            // D
  std::size_t heads = 4;              // H; D must be a multiple of H
  std::size_t layers = 4;             // N blocks
  float dropout = 0.0f;               // GPT-2's one rate: embeddings, attention weights, residual branches
  bool tied = true;                   // the head reuses the token embedding's matrix
  std::string positions = "learned";  // or "sinusoidal"
};

extern const std::vector<std::string> kPositionKinds;  // {"learned", "sinusoidal"}
// The longest context a GPT may have (gpt --context accepts up to it): the sinusoidal table alone
// is context x D floats, so a size read from a file is refused above it.
inline constexpr std::size_t kMaxContext = 100000;

// The number of parameters GPT(config) has, counted without building it:
//   V·D (token embedding) + context·D (learned positions only) + N·(12·D² + 13·D) (blocks)
//   + 2·D (final norm) + D·V + V (an untied head)
// where a block holds the attention's in- and out-projections (3·D² + 3·D, D² + D), the MLP's two
// layers (4·D² + 4·D, 4·D² + D) and two layer norms (2·D each). SIZE_MAX when it does not fit.
std::size_t gpt_parameter_count(const GPTConfig& config);

class GPT : public Layer {
 public:
  // Throws std::invalid_argument naming the problem on a zero size, a context over kMaxContext, a
  // width that is not a multiple of the heads, a dropout outside [0, 1) or an unknown kind of positions.
  GPT(const GPTConfig& config, Rng& rng);
  GPT(const GPT&) = delete;  // the tied head refers to this object's embedding
  GPT& operator=(const GPT&) = delete;

  // ids (B, T) as floats, T <= context -> logits (B, T, V). Throws std::invalid_argument naming
  // the model when the ids are not (B, T), T exceeds the context or an id is not in [0, V).
  Tensor forward(const Tensor& ids) override;
  // dlogits (B, T, V) -> empty (ids have no gradient); adds into every parameter's gradient.
  Tensor backward(const Tensor& dlogits) override;
  std::vector<Parameter*> parameters() override;
  // "GPT(vocabulary=105, context=64, width=128, heads=4, layers=4, positions=learned, tied)"
  std::string name() const override;
  void set_training(bool training) override;

  // ---- Generation with a key-value cache (attention.hpp) ----------------------------------------
  // Empties every block's cache.
  void clear_cache();
  // ids (B, T_new) -> logits (B, T_new, V) of positions cache_length() .. cache_length() + T_new - 1,
  // each attending over the cached positions before it and the new ones up to itself; their keys
  // and values join the cache. Equal to the matching rows of forward() over the whole sequence.
  // Throws std::invalid_argument when the cache would hold more than the context.
  Tensor forward_cached(const Tensor& ids);
  std::size_t cache_length() const;

  const GPTConfig& config() const { return config_; }
  Embedding& token_embedding() { return token_embedding_; }
  PositionalEncoding& positions() { return *positions_; }
  TransformerBlock& block(std::size_t i) { return *blocks_.at(i); }
  LayerNorm& ln_f() { return ln_f_; }
  // Every dropout layer, named as its parameters are ("dropout" after the embeddings, then per block
  // "blocks.0.self_attn.dropout", "blocks.0.dropout1", "blocks.0.dropout2", ...): a checkpoint keeps
  // their random streams (chapter 05's DropoutStreams).
  NamedDropouts dropouts();

 private:
  void check_ids(const Tensor& ids) const;  // (B, T) with 0 < T <= context

  GPTConfig config_;
  Embedding token_embedding_;                             // (V, D)
  std::unique_ptr<PositionalEncoding> positions_;         // (context, D)
  Dropout dropout_;
  std::vector<std::unique_ptr<TransformerBlock>> blocks_;
  LayerNorm ln_f_;
  std::unique_ptr<Layer> head_;                           // Dense(D, V) or TiedLinear(token embedding)
};

// ---- Model files (common/safetensors.hpp) --------------------------------------------------------
// The weights, and in the metadata model=gpt, the config, the vocabulary (chapter 04's
// Vocabulary::to_metadata), `start` (the text before a new entry: the default prompt) and `extra`.
void save_gpt(const std::string& path, GPT& model, const Vocabulary& vocabulary, const std::u32string& start,
              const Metadata& extra = {});

struct GPTFile {
  GPTConfig config;
  Vocabulary vocabulary;
  std::u32string start;
  std::unique_ptr<GPT> model;
  Metadata metadata;
};
// Rebuilds the model a file describes and loads its weights. Throws std::runtime_error
// "<path>: ..." when the file is unreadable, truncated or corrupt, or was not written by save_gpt;
// also when its metadata describe a GPT of another number of parameters than the file holds
// values, checked before the model is built (a corrupted size must not allocate gigabytes).
GPTFile load_gpt(const std::string& path);

}  // namespace dlfs
