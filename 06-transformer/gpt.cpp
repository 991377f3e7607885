#include "06-transformer/gpt.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "06-transformer/tied_linear.hpp"

namespace dlfs {

const std::vector<std::string> kPositionKinds = {"learned", "sinusoidal"};

namespace {

const GPTConfig& checked(const GPTConfig& c) {
  if (c.vocabulary == 0 || c.context == 0 || c.width == 0 || c.heads == 0 || c.layers == 0)
    throw std::invalid_argument("GPT: the vocabulary, context, width, heads and layers must all be positive");
  if (c.context > kMaxContext)
    throw std::invalid_argument("GPT: a context of " + std::to_string(c.context) + " is over the " +
                                std::to_string(kMaxContext) + " a GPT may have");
  if (c.width % c.heads != 0)
    throw std::invalid_argument("GPT: the width " + std::to_string(c.width) + " is not a multiple of the " +
                                std::to_string(c.heads) + " heads");
  if (!(c.dropout >= 0.0f && c.dropout < 1.0f))
    throw std::invalid_argument("GPT: dropout must be in [0, 1), got " + std::to_string(c.dropout));
  if (std::find(kPositionKinds.begin(), kPositionKinds.end(), c.positions) == kPositionKinds.end())
    throw std::invalid_argument("GPT: unknown positions '" + c.positions + "' (expected learned or sinusoidal)");
  return c;
}

std::unique_ptr<PositionalEncoding> make_positions(const GPTConfig& c, Rng& rng) {
  if (c.positions == "learned") return std::make_unique<LearnedPositions>(c.context, c.width, rng);
  return std::make_unique<SinusoidalPositions>(c.context, c.width);
}

}  // namespace

std::size_t gpt_parameter_count(const GPTConfig& c) {
  // The sizes may come from a file: every product and sum saturates at SIZE_MAX instead of wrapping.
  constexpr std::size_t kTooMany = std::numeric_limits<std::size_t>::max();
  auto mul = [](std::size_t a, std::size_t b) { return __builtin_mul_overflow(a, b, &a) ? kTooMany : a; };
  auto add = [](std::size_t a, std::size_t b) { return __builtin_add_overflow(a, b, &a) ? kTooMany : a; };
  const std::size_t D = c.width, V = c.vocabulary;
  const std::size_t block = add(mul(12, mul(D, D)), mul(13, D));
  std::size_t count = add(mul(V, D), add(mul(c.layers, block), mul(2, D)));
  if (c.positions == "learned") count = add(count, mul(c.context, D));
  if (!c.tied) count = add(count, add(mul(D, V), V));
  return count;
}

GPT::GPT(const GPTConfig& config, Rng& rng)
    : config_(checked(config)),
      token_embedding_(config.vocabulary, config.width, rng),
      positions_(make_positions(config, rng)),
      dropout_(config.dropout, rng),
      ln_f_(config.width) {
  for (std::size_t i = 0; i < config.layers; ++i)
    blocks_.push_back(std::make_unique<TransformerBlock>(config.width, config.heads, rng, config.dropout));
  if (config.tied) head_ = std::make_unique<TiedLinear>(token_embedding_.weight());
  else head_ = std::make_unique<Dense>(config.width, config.vocabulary, rng);

  // GPT-2's initialization (the header comment): N(0, 0.02^2) for the embeddings and every Dense
  // weight, N(0, (0.02 / sqrt(2N))^2) for the projections that end a residual branch.
  const float residual_std = 0.02f / std::sqrt(2.0f * float(config.layers));
  rng.fill_normal(token_embedding_.weight().value, 0.0f, 0.02f);
  for (auto& block : blocks_) {
    for (Dense* dense : {&block->self_attn().in_proj(), &block->self_attn().out_proj(), &block->linear1(),
                         &block->linear2()}) {
      const bool ends_branch = dense == &block->self_attn().out_proj() || dense == &block->linear2();
      rng.fill_normal(dense->weight().value, 0.0f, ends_branch ? residual_std : 0.02f);
      dense->bias().value.zero();
    }
  }
  if (auto* dense = dynamic_cast<Dense*>(head_.get())) {
    rng.fill_normal(dense->weight().value, 0.0f, 0.02f);
    dense->bias().value.zero();
  }

  // Names: "token_embedding.weight", "position_embedding.weight", "blocks.0.norm1.weight", ...
  prefix_parameter_names(token_embedding_, "token_embedding.");
  prefix_parameter_names(*positions_, "position_embedding.");
  for (std::size_t i = 0; i < blocks_.size(); ++i) prefix_parameter_names(*blocks_[i], "blocks." + std::to_string(i) + ".");
  prefix_parameter_names(ln_f_, "ln_f.");
  prefix_parameter_names(*head_, "lm_head.");
  token_embedding_.set_needs_input_grad(false);  // its input is ids
}

std::vector<Parameter*> GPT::parameters() {
  std::vector<Parameter*> all = token_embedding_.parameters();
  for (Parameter* p : positions_->parameters()) all.push_back(p);
  for (auto& block : blocks_)
    for (Parameter* p : block->parameters()) all.push_back(p);
  for (Parameter* p : ln_f_.parameters()) all.push_back(p);
  for (Parameter* p : head_->parameters()) all.push_back(p);  // none when tied
  return all;
}

NamedDropouts GPT::dropouts() {
  NamedDropouts all{{"dropout", &dropout_}};
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const std::string block = "blocks." + std::to_string(i) + ".";
    all.emplace_back(block + "self_attn.dropout", &blocks_[i]->self_attn().attention().weight_dropout());
    all.emplace_back(block + "dropout1", &blocks_[i]->dropout1());
    all.emplace_back(block + "dropout2", &blocks_[i]->dropout2());
  }
  return all;
}

std::string GPT::name() const {
  std::string s = "GPT(vocabulary=" + std::to_string(config_.vocabulary) + ", context=" +
                  std::to_string(config_.context) + ", width=" + std::to_string(config_.width) +
                  ", heads=" + std::to_string(config_.heads) + ", layers=" + std::to_string(config_.layers) +
                  ", positions=" + config_.positions + (config_.tied ? ", tied" : "");
  if (config_.dropout > 0) {
    char text[32];
    std::snprintf(text, sizeof text, ", dropout=%g", double(config_.dropout));
    s += text;
  }
  return s + ")";
}

void GPT::set_training(bool training) {
  Layer::set_training(training);
  token_embedding_.set_training(training);
  positions_->set_training(training);
  dropout_.set_training(training);
  for (auto& block : blocks_) block->set_training(training);
  ln_f_.set_training(training);
  head_->set_training(training);
}

void GPT::check_ids(const Tensor& ids) const {
  if (ids.ndim() != 2 || ids.dim(1) == 0)
    throw std::invalid_argument(name() + ": ids of shape " + shape_to_string(ids.shape()) + " are not (B, T)");
}

Tensor GPT::forward(const Tensor& ids) {
  check_ids(ids);
  if (ids.dim(1) > config_.context)
    throw std::invalid_argument(name() + ": " + std::to_string(ids.dim(1)) + " tokens are more than the context of " +
                                std::to_string(config_.context));
  Tensor x = dropout_.forward(positions_->forward(token_embedding_.forward(ids)));  // (B, T, D)
  for (auto& block : blocks_) x = block->forward(x);                               // (B, T, D)
  return head_->forward(ln_f_.forward(x));                                         // (B, T, V)
}

Tensor GPT::backward(const Tensor& dlogits) {
  Tensor g = ln_f_.backward(head_->backward(dlogits));  // (B, T, D)
  for (std::size_t i = blocks_.size(); i-- > 0;) g = blocks_[i]->backward(g);
  token_embedding_.backward(positions_->backward(dropout_.backward(g)));
  return Tensor();
}

void GPT::clear_cache() {
  for (auto& block : blocks_) block->self_attn().attention().clear_cache(config_.context);
}

std::size_t GPT::cache_length() const { return blocks_.front()->self_attn().attention().cache_length(); }

Tensor GPT::forward_cached(const Tensor& ids) {
  check_ids(ids);
  const std::size_t start = cache_length();
  if (start + ids.dim(1) > config_.context)
    throw std::invalid_argument(name() + ": " + std::to_string(start) + " cached tokens and " +
                                std::to_string(ids.dim(1)) + " new ones are more than the context of " +
                                std::to_string(config_.context) + " (clear the cache first)");
  Tensor x = dropout_.forward(positions_->forward_from(token_embedding_.forward(ids), start));  // (B, T_new, D)
  for (auto& block : blocks_) x = block->forward_cached(x);                                    // (B, T_new, D)
  return head_->forward(ln_f_.forward(x));                                                     // (B, T_new, V)
}

// ---- Model files ---------------------------------------------------------------------------------

namespace {

constexpr const char* kModelKey = "model";  // = "gpt"

std::string metadata_text(const Metadata& metadata, const std::string& key) {
  const auto it = metadata.find(key);
  return it == metadata.end() ? "" : it->second;
}

}  // namespace

void save_gpt(const std::string& path, GPT& model, const Vocabulary& vocabulary, const std::u32string& start,
              const Metadata& extra) {
  const GPTConfig& c = model.config();
  if (vocabulary.size() != c.vocabulary)
    throw std::invalid_argument("save_gpt: a vocabulary of " + std::to_string(vocabulary.size()) +
                                " characters for a model of " + std::to_string(c.vocabulary));
  Metadata metadata = extra;
  metadata[kModelKey] = "gpt";
  metadata["context"] = std::to_string(c.context);
  metadata["width"] = std::to_string(c.width);
  metadata["heads"] = std::to_string(c.heads);
  metadata["layers"] = std::to_string(c.layers);
  char dropout[32];
  std::snprintf(dropout, sizeof dropout, "%.9g", double(c.dropout));
  metadata["dropout"] = dropout;
  metadata["tied"] = c.tied ? "true" : "false";
  metadata["positions"] = c.positions;
  metadata["vocabulary"] = vocabulary.to_metadata();
  metadata["start"] = code_points_to_text(start);
  save_model(path, model.name(), named_values(model.parameters()), metadata);
}

GPTFile load_gpt(const std::string& path) {
  // read_safetensors checks the whole file (length, header, checksum) before we read the metadata,
  // so a truncated or corrupted file stops here with its path.
  const SafetensorsFile safetensors = read_safetensors(path);
  const Metadata& metadata = safetensors.metadata;
  if (metadata_text(metadata, kModelKey) != "gpt")
    throw std::runtime_error(path + ": not a GPT model written by gpt (no model=gpt in its metadata)");
  GPTConfig config;
  config.context = metadata_positive_integer(path, metadata, "context");
  config.width = metadata_positive_integer(path, metadata, "width");
  config.heads = metadata_positive_integer(path, metadata, "heads");
  config.layers = metadata_positive_integer(path, metadata, "layers");
  const std::string dropout = metadata_text(metadata, "dropout"), tied = metadata_text(metadata, "tied");
  char* end = nullptr;
  config.dropout = std::strtof(dropout.c_str(), &end);
  if (dropout.empty() || *end != '\0')
    throw std::runtime_error(path + ": metadata 'dropout' is '" + dropout + "', not a number");
  if (tied != "true" && tied != "false")
    throw std::runtime_error(path + ": metadata 'tied' is '" + tied + "', not true or false");
  config.tied = tied == "true";
  config.positions = metadata_text(metadata, "positions");
  GPTFile file;
  try {
    file.vocabulary = Vocabulary::from_metadata(metadata_text(metadata, "vocabulary"));
    file.start = code_points_from_text(metadata_text(metadata, "start"));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": its vocabulary or start text: " + e.what());
  }
  config.vocabulary = file.vocabulary.size();
  // The sizes are the file's word: before a model that size is allocated, they must account for
  // exactly the values the file holds. ("width": "99999992" would otherwise ask for gigabytes.)
  std::size_t values = 0;
  for (const auto& [name, tensor] : safetensors.tensors) values += tensor.size();
  const std::size_t parameters = gpt_parameter_count(config);
  if (parameters != values)
    throw std::runtime_error(path + ": its metadata (width " + std::to_string(config.width) + ", " +
                             std::to_string(config.layers) + " blocks, context " + std::to_string(config.context) + ", " +
                             std::to_string(config.vocabulary) + " characters) describe a GPT of " +
                             (parameters == std::numeric_limits<std::size_t>::max() ? "over 2^64" : std::to_string(parameters)) +
                             " parameters, but the file holds " + std::to_string(values) + " values");
  Rng unused(0);  // the initial values are replaced by the file's
  try {
    file.model = std::make_unique<GPT>(config, unused);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": its metadata describe no valid model: " + e.what());
  }
  // Checks the architecture string, every name and every shape before copying anything.
  file.metadata = load_model(path, file.model->name(), named_values(file.model->parameters()));
  file.config = config;
  return file;
}

}  // namespace dlfs
