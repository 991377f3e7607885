// The one main() every test executable links (Catch2 v2 ships it as a macro, not a library).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
