#include "hotpath/version.hpp"

#include <gtest/gtest.h>

#include <string>
#include <typeinfo>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI {
struct abi_probe {};
}  // namespace hotpath::inline HOTPATH_ABI

namespace {

TEST(Version, MacrosMatchTheCMakeProjectVersion) {
  std::string v = std::to_string(HOTPATH_VERSION_MAJOR) + "." +
                  std::to_string(HOTPATH_VERSION_MINOR) + "." +
                  std::to_string(HOTPATH_VERSION_PATCH);
  EXPECT_EQ(v, HOTPATH_TEST_PROJECT_VERSION);
  EXPECT_EQ(HOTPATH_VERSION,
            HOTPATH_VERSION_MAJOR * 10000 + HOTPATH_VERSION_MINOR * 100 + HOTPATH_VERSION_PATCH);
}

TEST(Version, PublicNamesLiveInTheVersionedInlineNamespace) {
  // Spelled without the inline namespace, mangled with it.
  EXPECT_EQ(typeid(hotpath::abi_probe), typeid(hotpath::v0::abi_probe));
  std::string mangled = typeid(hotpath::abi_probe).name();
  EXPECT_NE(mangled.find("v0"), std::string::npos) << mangled;
}

}  // namespace
