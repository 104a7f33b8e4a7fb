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

// A SQL string literal of `s`.
std::string literal(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string{"''"} : std::string(1, c);
  return out + "'";
}

// The staged row's key as the tombstones keep it.
std::string key_json(const plan& p) {
  return "jsonb_build_array(" + join(p.key, ", ", "s.") + ")";
}

// Staged row s is newer than tombstone d (as `newer`, in jsonb).
std::string newer_than_tombstone(const plan& p) {
  std::string at = "s._airbyte_extracted_at >= d.extracted_at";
  if (!p.cursor)
    return "(" + at + ")";
  auto sc = "to_jsonb(s." + *p.cursor + ")";
  return "((" + sc + " > d.cursor) IS TRUE OR (" + sc + " IS NOT NULL AND "
         "d.cursor IS NULL) OR (" + sc + " IS NOT DISTINCT FROM d.cursor AND "
         + at + "))";
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
  auto target = literal(p.target);
  if (p.deleted_at) {
    // 2b. Staged records older than a committed deletion of their key lose;
    // the tombstones of keys with a newer record go.
    out.push_back("DELETE FROM " + p.stage + " s USING sophia_pipeline."
                  "tombstones d WHERE d.target = " + target + " AND d.key = "
                  + key_json(p) + " AND NOT " + newer_than_tombstone(p));
    out.push_back("DELETE FROM sophia_pipeline.tombstones d USING " + p.stage
                  + " s WHERE d.target = " + target + " AND d.key = "
                  + key_json(p));
  }
  out.push_back(replace(false));
  if (p.null_keys)
    out.push_back(replace(true));
  // 4. The winners go in, unless they are deletions.
  auto cols = join(p.columns, ", ");
  out.push_back("INSERT INTO " + p.target + " (" + cols + ") SELECT " + cols
                + " FROM " + p.stage
                + (p.deleted_at ? " WHERE " + *p.deleted_at + " IS NULL" : ""));
  // 5. The winning deletions leave their tombstones.
  if (p.deleted_at)
    out.push_back("INSERT INTO sophia_pipeline.tombstones (target, key, "
                  "cursor, extracted_at) SELECT " + target + ", " + key_json(p)
                  + ", " + (p.cursor ? "to_jsonb(s." + *p.cursor + ")"
                                     : std::string{"NULL::jsonb"})
                  + ", s._airbyte_extracted_at FROM " + p.stage + " s WHERE s."
                  + *p.deleted_at + " IS NOT NULL");
  return out;
}

std::string move_tombstones(const std::string& tmp, const std::string& table) {
  return "DELETE FROM sophia_pipeline.tombstones WHERE target = "
         + literal(table) + "; UPDATE sophia_pipeline.tombstones SET target = "
         + literal(table) + " WHERE target = " + literal(tmp);
}

} // namespace sophia::actors::pipeline::postgres::dedup
