// A small slice of Fashion-MNIST for the tests that run an example program: the first `train`
// training and `test` test images of the real set (Debian's copy, or $DLFS_DATA), written as
// uncompressed IDX files into the scratch directory `name`, so that a run reads and trains on a
// few hundred images in a second instead of loading 70 000.
#pragma once

#include <cstddef>
#include <string>

namespace dlfs::test {

// Returns the directory, for the programs' --data. Written once per test program and name.
const std::string& small_fashion_mnist(const std::string& name, std::size_t train, std::size_t test);

}  // namespace dlfs::test
