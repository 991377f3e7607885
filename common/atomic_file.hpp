// Replacing a file so that it is never lost: whoever reads it (or a run killed half-way through
// writing it, or a full disk) finds either the old file whole or the new one whole, never half of
// one. Model files, checkpoints and the reports the examples write all go through it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dlfs {

// Writes the parts, one after the other, to a temporary file in path's directory (creating missing
// directories), syncs it, renames it over path (rename is atomic within one file system) and syncs
// the directory, so that the rename survives a crash too. A symbolic link is written through, into
// the file it names. Throws std::runtime_error "<path>: cannot save (<why>)..." and leaves the
// previous file, if any, unchanged.
void write_file_atomically(const std::string& path, const std::vector<std::string_view>& parts);

}  // namespace dlfs
