#include <doctest/doctest.h>

#include "actors/pipeline/postgres/names.hpp"

namespace names = sophia::actors::pipeline::postgres::names;

TEST_CASE("names: Airbyte's column renamings (weirdcolumnnames fixture)") {
  CHECK(names::identifier("$starts_with_dollar_sign")
        == "_starts_with_dollar_sign");
  CHECK(names::identifier("includes\"doublequote") == "includes_doublequote");
  CHECK(names::identifier("includes'singlequote") == "includes_singlequote");
  CHECK(names::identifier("includes`backtick") == "includes_backtick");
  CHECK(names::identifier("includes.period") == "includes_period");
  CHECK(names::identifier("includes$$doubledollar")
        == "includes__doubledollar");
  CHECK(names::identifier("endswithbackslash\\") == "endswithbackslash_");
  CHECK(names::identifier("IamACaseSensitiveColumnName")
        == "IamACaseSensitiveColumnName");
  CHECK(names::identifier("two  words\there") == "two_words_here");
}

TEST_CASE("names: namespaces as in Airbyte's namespace test cases") {
  CHECK(names::table_name("dest_1001_namespace") == "dest_1001_namespace");
  CHECK(names::table_name("namespace_with_spécial_character")
        == "namespace_with_special_character");
  CHECK(names::table_name("99namespace") == "_99namespace");
  CHECK(names::table_name("NAMESPACE") == "namespace");
  CHECK(names::table_name("Łódź") == "_odz"); // Ł has no decomposition
}

TEST_CASE("names: 63 bytes at most, collisions get a suffix") {
  std::string longer(100, 'a');
  CHECK(names::identifier(longer).size() == 63);
  std::set<std::string> taken{"_airbyte_meta"};
  CHECK(names::unique("a_b", taken) == "a_b");
  CHECK(names::unique("a_b", taken) == "a_b_1");
  CHECK(names::unique("a_b", taken) == "a_b_2");
  CHECK(names::unique("_airbyte_meta", taken) == "_airbyte_meta_1");
  CHECK(names::unique(std::string(63, 'x'), taken).size() == 63);
  CHECK(names::unique(std::string(63, 'x'), taken)
        == std::string(61, 'x') + "_1");
  CHECK(names::quoted("a\"b") == "\"a\"\"b\"");
}
