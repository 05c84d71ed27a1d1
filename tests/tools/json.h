// tests/tools/json.h: nlohmann-json, as the tests that check the --json output of the idtap
// command line value by value (instead of by substring) use it: objects keep their members in
// document order (ordered_json), and a document is parsed strictly (RFC 8259, one value, no
// repeated key). Header-only: included by tests/tools and tests/integration ("tools/json.h").
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace idtap::test {

// Json: one parsed value; objects iterate their members in document order.
using Json = nlohmann::ordered_json;

// parse_json: the value in `text` (whitespace around it allowed, nothing else), or nullopt with
// the reason in *error (when error is not null). A key repeated within one object is an error
// (RFC 8259 leaves it open; the idtap tool never writes one, so a test must not accept one).
inline std::optional<Json> parse_json(std::string_view text, std::string* error = nullptr) {
  std::vector<std::set<std::string>> keys;  // the keys seen so far in each open object
  std::string repeated;
  auto no_repeats = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) keys.emplace_back();
    if (event == Json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (event == Json::parse_event_t::key && !keys.empty() && !keys.back().insert(parsed.get<std::string>()).second &&
        repeated.empty())
      repeated = parsed.get<std::string>();
    return true;
  };
  try {
    Json value = Json::parse(text.begin(), text.end(), no_repeats);
    if (!repeated.empty()) {
      if (error) *error = "the key \"" + repeated + "\" is repeated in one object";
      return std::nullopt;
    }
    return value;
  } catch (const Json::parse_error& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
}

// keys_of: an object's member names in document order (empty for anything else).
inline std::vector<std::string> keys_of(const Json& object) {
  std::vector<std::string> out;
  if (object.is_object())
    for (const auto& [key, value] : object.items()) out.push_back(key);
  return out;
}

}  // namespace idtap::test
