#include "09-distributed/consistency.hpp"

#include <zlib.h>

#include <cstdio>
#include <stdexcept>
#include <vector>

namespace dlfs {

namespace {

std::uint32_t add_to_crc(std::uint32_t crc, const Tensor& t) {
  return std::uint32_t(crc32_z(crc, reinterpret_cast<const Bytef*>(t.data()), t.size() * sizeof(float)));
}

}  // namespace

std::uint32_t training_state_checksum(Layer& model, Optimizer& optimizer) {
  std::uint32_t crc = std::uint32_t(crc32_z(0, Z_NULL, 0));
  for (Parameter* p : model.parameters()) crc = add_to_crc(crc, p->value);
  for (const auto& [name, tensor] : optimizer.state()) crc = add_to_crc(crc, *tensor);
  return crc;
}

void require_same_on_every_process(std::uint32_t checksum, MPI_Comm comm, const std::string& when,
                                   const std::string& what) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  std::vector<std::uint32_t> all(std::size_t(size), 0);
  MPI_Allgather(&checksum, 1, MPI_UINT32_T, all.data(), 1, MPI_UINT32_T, comm);
  // The ranks that hold each distinct checksum, in order of first appearance.
  std::vector<std::pair<std::uint32_t, std::string>> groups;
  for (std::size_t r = 0; r < all.size(); ++r) {
    auto it = groups.begin();
    while (it != groups.end() && it->first != all[r]) ++it;
    if (it == groups.end()) it = groups.insert(groups.end(), {all[r], ""});
    it->second += (it->second.empty() ? "" : ", ") + std::to_string(r);
  }
  if (groups.size() == 1) return;
  std::string text;
  for (const auto& [crc, ranks] : groups) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", unsigned(crc));
    text += (text.empty() ? "" : "; ") + std::string(hex) + (ranks.find(',') == std::string::npos ? " on rank " : " on ranks ") + ranks;
  }
  throw ProcessesDisagree(when + ": " + what + " checksum " + text + ")");
}

void ReplicaCheck::check(Trainer& t, const std::string& when) {
  last_ = training_state_checksum(t.model(), t.optimizer());
  require_same_on_every_process(last_, comm_, when);
  ++checks_;
}

void ReplicaCheck::on_fit_begin(Trainer& t) {
  const std::string when = t.epoch() == 0 ? "before training" : "after resuming at epoch " + std::to_string(t.epoch());
  const std::string run = run_ + " batches_per_epoch=" + std::to_string(t.loader().batches());
  require_same_on_every_process(std::uint32_t(crc32_z(crc32_z(0, Z_NULL, 0), reinterpret_cast<const Bytef*>(run.data()),
                                                      run.size())),
                                comm_, when,
                                "the processes are not running the same training (settings, training data or "
                                "batches per epoch differ:");
  check(t, when);
}

void ReplicaCheck::on_epoch_end(Trainer& t, const EpochLog& log) { check(t, "after epoch " + std::to_string(log.epoch)); }

void ReplicaCheck::on_fit_end(Trainer& t) {
  if (t.interrupted()) check(t, "after step " + std::to_string(t.step()));
}

}  // namespace dlfs
