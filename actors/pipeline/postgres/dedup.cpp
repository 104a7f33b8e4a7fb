#include "actors/pipeline/postgres/dedup.hpp"

namespace sophia::actors::pipeline::postgres::dedup {

namespace {

std::string join(const std::vector<std::string>& xs, const std::string& sep,
                 const std::string& prefix = "") {
  std::string out;
  for (auto& x : xs)
    out += (out.empty() ? "" : sep) + prefix + x;
  return out;
}

// s and t have the same key (`=`, or IS NOT DISTINCT FROM for NULLs).
std::string same_key(const plan& p, bool nulls) {
  std::string out;
  for (auto& k : p.key)
    out += (out.empty() ? "" : " AND ") + ("t." + k)
           + (nulls ? " IS NOT DISTINCT FROM " : " = ") + ("s." + k);
  return out;
}

// Staged row s is at least as new as table row t; never NULL.
std::string newer(const plan& p) {
  std::string at = "s._airbyte_extracted_at >= t._airbyte_extracted_at";
  if (!p.cursor)
    return "(" + at + ")";
  auto sc = "s." + *p.cursor, tc = "t." + *p.cursor;
  return "((" + sc + " > " + tc + ") IS TRUE OR (" + sc + " IS NOT NULL AND "
         + tc + " IS NULL) OR (" + sc + " IS NOT DISTINCT FROM " + tc
         + " AND " + at + "))";
}

std::string any_null_key(const plan& p) {
  std::string out;
  for (auto& k : p.key)
    out += (out.empty() ? "" : " OR ") + ("s." + k) + " IS NULL";
  return "(" + out + ")";
}

} // namespace

std::vector<std::string> statements(const plan& p) {
  std::vector<std::string> out;
  auto order = (p.cursor ? *p.cursor + " DESC NULLS LAST, " : std::string{})
               + "_airbyte_extracted_at DESC, _sophia_seq DESC";
  // 1. Within the batch, only the latest record of each key stays.
  out.push_back("DELETE FROM " + p.stage + " WHERE _sophia_seq IN (SELECT "
                "_sophia_seq FROM (SELECT _sophia_seq, row_number() OVER "
                "(PARTITION BY " + join(p.key, ", ") + " ORDER BY " + order
                + ") AS n FROM " + p.stage + ") w WHERE n > 1)");
  // 2. Staged records older than the table's row of their key lose.
  auto drop_older = [&](bool nulls) {
    return "DELETE FROM " + p.stage + " s USING " + p.target + " t WHERE "
           + same_key(p, nulls) + (nulls ? " AND " + any_null_key(p) : "")
           + " AND NOT " + newer(p);
  };
  // 3. The rows they replace go.
  auto replace = [&](bool nulls) {
    return "DELETE FROM " + p.target + " t USING " + p.stage + " s WHERE "
           + same_key(p, nulls) + (nulls ? " AND " + any_null_key(p) : "");
  };
  out.push_back(drop_older(false));
  if (p.null_keys)
    out.push_back(drop_older(true));
  out.push_back(replace(false));
  if (p.null_keys)
    out.push_back(replace(true));
  // 4. The winners go in, unless they are deletions.
  auto cols = join(p.columns, ", ");
  out.push_back("INSERT INTO " + p.target + " (" + cols + ") SELECT " + cols
                + " FROM " + p.stage
                + (p.deleted_at ? " WHERE " + *p.deleted_at + " IS NULL" : ""));
  return out;
}

} // namespace sophia::actors::pipeline::postgres::dedup
