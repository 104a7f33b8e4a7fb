// The conformance fixtures' prompts and completions (for the arguments of
// test_prompt_with_arguments and the template's {id}).

#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "actors/conformance/fixture_parts.hpp"

namespace sophia::actors::conformance::parts {

namespace {

using runtime::errc;

/// Completion candidates for the arguments of test_prompt_with_arguments.
const std::vector<std::string> city_candidates = { "paris", "park", "party" };
/// Completion candidates for the template's `{id}`.
const std::vector<std::string> id_candidates = { "123", "456", "789" };

json prompt_arg(const char* name, const char* description) {
  return { { "name", name },
           { "description", description },
           { "required", true } };
}

bool is_prompt(const std::string& name) {
  return name == "test_simple_prompt" || name == "test_prompt_with_arguments" ||
         name == "test_prompt_with_embedded_resource" ||
         name == "test_prompt_with_image";
}

json user(json content) {
  return { { "role", "user" }, { "content", std::move(content) } };
}

void get_prompt(const mcp::call_ptr& c) {
  auto name = string_member(c, c->params(), "name", "prompts/get");
  if (!name) return;
  json args = json::object();
  if (auto i = c->params().find("arguments");
      i != c->params().end() && !i->is_null()) {
    if (!i->is_object())
      return c->reject(errc::rejected,
                       *name + ": 'arguments' must be an object, got " +
                         i->type_name());
    args = *i;
  }
  std::string description;
  json messages = json::array();
  if (*name == "test_simple_prompt") {
    description = "A simple prompt without arguments";
    messages.push_back(user(text_item("This is a simple prompt for testing.")));
  } else if (*name == "test_prompt_with_arguments") {
    auto arg1 = string_member(c, args, "arg1", *name);
    if (!arg1) return;
    auto arg2 = string_member(c, args, "arg2", *name);
    if (!arg2) return;
    description = "A prompt with required arguments";
    messages.push_back(user(text_item("Prompt with arguments: arg1='" + *arg1 +
                                      "', arg2='" + *arg2 + "'")));
  } else if (*name == "test_prompt_with_embedded_resource") {
    auto uri = string_member(c, args, "resourceUri", *name);
    if (!uri) return;
    description = "A prompt that includes an embedded resource";
    messages.push_back(user(resource_item(
      *uri, "text/plain", "Embedded resource content for testing.")));
    messages.push_back(
      user(text_item("Please process the embedded resource above.")));
  } else if (*name == "test_prompt_with_image") {
    description = "A prompt that includes image content";
    messages.push_back(user(image_item()));
    messages.push_back(user(text_item("Please analyze the image above.")));
  } else {
    return c->reject(errc::not_found,
                     "conformance has no prompt '" + *name + "'");
  }
  c->reply_result(
    { { "description", description }, { "messages", std::move(messages) } });
}

void complete(const mcp::call_ptr& c) {
  const std::string where = "completion/complete";
  auto& params = c->params();
  auto ref = params.find("ref");
  if (ref == params.end() || !ref->is_object())
    return c->reject(errc::rejected, where + ": missing required object 'ref'");
  auto type = string_member(c, *ref, "type", where + " ref");
  if (!type) return;
  auto arg = params.find("argument");
  if (arg == params.end() || !arg->is_object())
    return c->reject(errc::rejected,
                     where + ": missing required object 'argument'");
  auto arg_name = string_member(c, *arg, "name", where + " argument");
  if (!arg_name) return;
  auto value = string_member(c, *arg, "value", where + " argument");
  if (!value) return;
  const std::vector<std::string>* candidates = nullptr;
  if (*type == "ref/prompt") {
    auto name = string_member(c, *ref, "name", where + " ref");
    if (!name) return;
    if (!is_prompt(*name))
      return c->reject(errc::not_found,
                       "conformance has no prompt '" + *name + "'");
    if (*name == "test_prompt_with_arguments" &&
        (*arg_name == "arg1" || *arg_name == "arg2"))
      candidates = &city_candidates;
  } else if (*type == "ref/resource") {
    auto uri = string_member(c, *ref, "uri", where + " ref");
    if (!uri) return;
    if (*uri == "test://template/{id}/data") {
      if (*arg_name == "id") candidates = &id_candidates;
    } else if (!is_resource(*uri)) {
      return c->reject(errc::not_found, "resource not found: " + *uri);
    }
  } else {
    return c->reject(errc::rejected,
                     where + ": unknown ref type '" + *type +
                       "' (ref/prompt, ref/resource)");
  }
  json values = json::array();
  if (candidates)
    for (auto& v : *candidates)
      if (v.compare(0, value->size(), *value) == 0) values.push_back(v);
  auto total = values.size();
  c->reply_result({ { "completion",
                      { { "values", std::move(values) },
                        { "total", total },
                        { "hasMore", false } } } });
}

} // namespace

void add_prompts(mcp::service_spec& spec) {
  spec.prompts = json::array(
    { { { "name", "test_simple_prompt" },
        { "title", "Simple Test Prompt" },
        { "description", "A simple prompt without arguments" } },
      { { "name", "test_prompt_with_arguments" },
        { "title", "Prompt With Arguments" },
        { "description", "A prompt with required arguments" },
        { "arguments",
          json::array({ prompt_arg("arg1", "First test argument"),
                        prompt_arg("arg2", "Second test argument") }) } },
      { { "name", "test_prompt_with_embedded_resource" },
        { "title", "Prompt With Embedded Resource" },
        { "description", "A prompt that includes an embedded resource" },
        { "arguments",
          json::array(
            { prompt_arg("resourceUri", "URI of the resource to embed") }) } },
      { { "name", "test_prompt_with_image" },
        { "title", "Prompt With Image" },
        { "description", "A prompt that includes image content" } } });
  spec.methods["prompts/get"] = get_prompt;
  spec.methods["completion/complete"] = complete;
}

} // namespace sophia::actors::conformance::parts
