// The chapter's networks, layer by layer: output shape per image, parameters, multiply-adds.
//
//   build/05-regularization/summary                 all five networks at their default sizes
//   build/05-regularization/summary --model resnet --blocks 5   ResNet-32
//
// Ends with one `result:` line per network.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "05-regularization/models.hpp"
#include "common/flags.hpp"

using namespace dlfs;

namespace {

std::size_t all_parameters(Sequential& model) {  // trainable and not (the running statistics)
  std::size_t n = 0;
  for (Parameter* p : model.parameters()) n += p->value.size();
  return n;
}

void print_summary(const std::string& name, Sequential& model) {
  const std::vector<LayerSummary> rows = summarize_network(model, {1, 1, 28, 28});
  std::printf("== %s\n%-4s %-60s %-14s %10s %12s\n", name.c_str(), "#", "layer", "output", "parameters", "mult-adds");
  double total_macs = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const LayerSummary& r = rows[i];
    std::string layer = r.name;
    if (layer.size() > 60) layer = layer.substr(0, 57) + "...";
    const Shape per_image(r.output.begin() + 1, r.output.end());
    std::printf("%-4zu %-60s %-14s %10zu %12.0f\n", i, layer.c_str(), shape_to_string(per_image).c_str(),
                r.parameters, r.multiply_adds);
    total_macs += r.multiply_adds;
  }
  std::printf("%-4s %-60s %-14s %10zu %12.0f   (per image, forward)\n\n", "", "total", "", parameter_count(model),
              total_macs);
  std::printf("result: model=%s parameters=%zu saved_values=%zu multiply_adds=%.0f layers=%zu\n\n", name.c_str(),
              parameter_count(model), all_parameters(model), total_macs, rows.size());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Print the layers, shapes, parameter counts and multiply-adds of chapter 05's networks"};
  std::string model_name = "all";
  ModelOptions options;
  app.add_option("--model", model_name, "bn-cnn, vgg, resnet, plain, mlp or all");
  app.add_option("--width", options.width, "channels of the first stage, units per hidden layer for mlp (0: the model's default)")
      ->check(CLI::Range(0, 1024));  // train's limit: a width of 10^8 asked for petabytes
  app.add_option("--blocks", options.blocks, "resnet and plain: blocks per stage n (depth 6n + 2)")
      ->check(CLI::Range(1, 100));
  app.add_flag("!--no-batch-norm", options.batch_norm, "bn-cnn and vgg without batch norm");
  check_flag_values(app);  // common/flags.hpp: no empty, negative unsigned or non-finite values
  CLI11_PARSE(app, argc, argv);
  try {
    std::vector<std::string> names = kRegularizationModelNames;
    if (model_name != "all") names = {model_name};
    for (const std::string& name : names) {
      Rng rng(42);
      Sequential model = make_regularization_model(name, rng, options);
      print_summary(name, model);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "summary: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
