#include "04-rnn/char_model.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <stdexcept>

#include "02-mlp/dense.hpp"
#include "02-mlp/losses.hpp"
#include "02-mlp/metrics.hpp"
#include "04-rnn/embedding.hpp"
#include "04-rnn/gru.hpp"
#include "04-rnn/lstm.hpp"
#include "04-rnn/rnn.hpp"

namespace dlfs {

const std::vector<std::string> kCellNames = {"lstm", "gru", "rnn"};

Sequential make_char_model(const CharModelConfig& config, std::size_t vocabulary_size, Rng& rng) {
  if (vocabulary_size == 0 || config.embedding == 0 || config.hidden == 0 || config.layers == 0)
    throw std::invalid_argument("make_char_model: the vocabulary, embedding, hidden and layer sizes must be positive");
  Sequential model;
  model.emplace<Embedding>(vocabulary_size, config.embedding, rng);
  if (config.cell == "lstm") model.emplace<LSTM>(config.embedding, config.hidden, rng, config.layers);
  else if (config.cell == "gru") model.emplace<GRU>(config.embedding, config.hidden, rng, config.layers);
  else if (config.cell == "rnn") model.emplace<RNN>(config.embedding, config.hidden, rng, config.layers);
  else throw std::invalid_argument("unknown cell '" + config.cell + "' (expected lstm, gru or rnn)");
  // Xavier keeps the first logits small, so the first loss is close to ln V (every character
  // equally likely) instead of starting from confident random guesses.
  model.emplace<Dense>(config.hidden, vocabulary_size, rng, Init::Xavier);
  return model;
}

std::size_t char_model_parameter_count(const CharModelConfig& config, std::size_t vocabulary_size) {
  // The sizes may come from a file: every product and sum saturates at SIZE_MAX instead of wrapping.
  constexpr std::size_t kTooMany = std::numeric_limits<std::size_t>::max();
  auto mul = [](std::size_t a, std::size_t b) { return __builtin_mul_overflow(a, b, &a) ? kTooMany : a; };
  auto add = [](std::size_t a, std::size_t b) { return __builtin_add_overflow(a, b, &a) ? kTooMany : a; };
  const std::size_t V = vocabulary_size, E = config.embedding, H = config.hidden;
  const std::size_t gates = config.cell == "lstm" ? 4 : config.cell == "gru" ? 3 : 1;
  std::size_t count = add(mul(V, E), add(mul(H, V), V));  // embedding, head
  for (std::size_t l = 0; l < config.layers && count != kTooMany; ++l)
    count = add(count, mul(mul(gates, H), add(add(l == 0 ? E : H, H), 2)));
  return count;
}

Recurrent& recurrent_layer(Sequential& model) {
  auto* layer = model.size() == 3 ? dynamic_cast<Recurrent*>(&model[1]) : nullptr;
  if (!layer) throw std::invalid_argument("recurrent_layer: " + model.name() + " is not a character model");
  return *layer;
}

StatefulScope::StatefulScope(Sequential& model)
    : model_(model), layer_(recurrent_layer(model)), was_training_(model.training()), was_stateful_(layer_.stateful()) {
  model_.set_training(false);
  layer_.set_stateful(true);
  layer_.reset_state();  // the run starts from a zero state
}

StatefulScope::~StatefulScope() {
  layer_.set_stateful(was_stateful_);
  model_.set_training(was_training_);
}

Examples text_windows(std::vector<int> ids, std::size_t steps) {
  if (steps == 0 || ids.size() < steps + 1)
    throw std::invalid_argument("text_windows: " + std::to_string(ids.size()) +
                                " characters do not fill one window of " + std::to_string(steps) + " + 1");
  const std::size_t count = (ids.size() - 1) / steps;  // N windows
  std::vector<int> labels(count * steps);               // (N, T): the character after each input
  for (std::size_t i = 0; i < count; ++i)
    std::copy_n(ids.begin() + std::ptrdiff_t(i * steps + 1), steps, labels.begin() + std::ptrdiff_t(i * steps));
  auto text = std::make_shared<const std::vector<int>>(std::move(ids));
  Examples examples;
  examples.inputs = [text, steps](const std::vector<std::size_t>& indices) {
    Tensor x = Tensor::uninitialized({indices.size(), steps});  // (B, T) ids as floats
    for (std::size_t b = 0; b < indices.size(); ++b)
      for (std::size_t t = 0; t < steps; ++t) x(b, t) = float((*text)[indices[b] * steps + t]);
    return x;
  };
  examples.targets = Targets::per_position(std::move(labels), steps);
  return examples;
}

Metrics evaluate_stateful(Sequential& model, const std::vector<int>& ids, std::size_t streams, std::size_t steps) {
  if (streams == 0 || steps == 0 || ids.size() < streams + 1)
    throw std::invalid_argument("evaluate_stateful: " + std::to_string(ids.size()) + " characters for " +
                                std::to_string(streams) + " streams");
  const std::size_t length = (ids.size() - 1) / streams;  // S: predictions per stream
  StatefulScope stateful(model);
  MetricSums sums;
  for (std::size_t begin = 0; begin < length; begin += steps) {
    const std::size_t T = std::min(steps, length - begin);  // the last chunk may be shorter
    Tensor x = Tensor::uninitialized({streams, T});          // (B, T) ids as floats
    std::vector<int> labels(streams * T);                    // (B, T) the next character
    for (std::size_t b = 0; b < streams; ++b)
      for (std::size_t t = 0; t < T; ++t) {
        const std::size_t i = b * length + begin + t;  // stream b starts at b * S
        x(b, t) = float(ids[i]);
        labels[b * T + t] = ids[i + 1];
      }
    const Targets targets = Targets::per_position(std::move(labels), T);
    const Tensor logits = model.forward(x);  // (B, T, V), from the state the previous chunk ended in
    sums.add(logits, targets, softmax_cross_entropy(logits, targets).loss);
  }
  return sums.metrics();
}

namespace {

// The metadata keys a character model file holds besides the format's own.
constexpr const char* kModelKey = "model";  // = "charlm"

}  // namespace

void save_char_model(const std::string& path, Sequential& model, const CharModelConfig& config,
                     const Vocabulary& vocabulary, const std::u32string& start, const Metadata& extra) {
  Metadata metadata = extra;
  metadata[kModelKey] = "charlm";
  metadata["cell"] = config.cell;
  metadata["embedding"] = std::to_string(config.embedding);
  metadata["hidden"] = std::to_string(config.hidden);
  metadata["layers"] = std::to_string(config.layers);
  metadata["vocabulary"] = vocabulary.to_metadata();
  metadata["start"] = code_points_to_text(start);
  save_model(path, model.name(), named_values(model.parameters()), metadata);
}

CharModel load_char_model(const std::string& path) {
  // The metadata first: it says which model to build. read_safetensors checks the whole file
  // (length, header, checksum), so a truncated or corrupted file stops here with its path.
  const SafetensorsFile file = read_safetensors(path);
  const Metadata& metadata = file.metadata;
  const auto model_key = metadata.find(kModelKey);
  if (model_key == metadata.end() || model_key->second != "charlm")
    throw std::runtime_error(path + ": not a character model written by charlm (no model=charlm in its metadata)");
  CharModelConfig config;
  const auto cell = metadata.find("cell");
  config.cell = cell == metadata.end() ? "" : cell->second;
  if (std::find(kCellNames.begin(), kCellNames.end(), config.cell) == kCellNames.end())
    throw std::runtime_error(path + ": metadata 'cell' is '" + config.cell + "', not lstm, gru or rnn");
  config.embedding = metadata_positive_integer(path, metadata, "embedding");
  config.hidden = metadata_positive_integer(path, metadata, "hidden");
  config.layers = metadata_positive_integer(path, metadata, "layers");
  Vocabulary vocabulary;
  std::u32string start;
  try {
    vocabulary = Vocabulary::from_metadata(metadata.count("vocabulary") ? metadata.at("vocabulary") : "");
    start = code_points_from_text(metadata.count("start") ? metadata.at("start") : "");
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": its vocabulary or start text: " + e.what());
  }
  // The sizes are the file's word: before a model that size is allocated, they must account for
  // exactly the values the file holds. ("hidden": "999999999" would otherwise ask for 48 GB.)
  std::size_t values = 0;
  for (const auto& [name, tensor] : file.tensors) values += tensor.size();
  const std::size_t parameters = char_model_parameter_count(config, vocabulary.size());
  if (parameters != values)
    throw std::runtime_error(path + ": its metadata (" + config.cell + ", embedding " + std::to_string(config.embedding) +
                             ", hidden " + std::to_string(config.hidden) + ", " + std::to_string(config.layers) + " layers, " +
                             std::to_string(vocabulary.size()) + " characters) describe a model of " +
                             (parameters == std::numeric_limits<std::size_t>::max() ? "over 2^64" : std::to_string(parameters)) +
                             " parameters, but the file holds " + std::to_string(values) + " values");
  Rng unused(0);  // the initial values are replaced by the file's
  Sequential model = make_char_model(config, vocabulary.size(), unused);
  // Checks the architecture string, every name and every shape before copying anything.
  Metadata loaded = load_model(path, model.name(), named_values(model.parameters()));
  return {config, std::move(vocabulary), std::move(start), std::move(model), std::move(loaded)};
}

}  // namespace dlfs
