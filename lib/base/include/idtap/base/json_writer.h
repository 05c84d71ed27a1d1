// idtap/base/json_writer.h: a small streaming JSON writer (RFC 8259 escaping, UTF-8 passed
// through, control characters escaped): the tool's --json output and the read result's JSON
// (idtap/reader/report_json.h) that `idtap read --json` and the C API share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace idtap {

// JsonWriter: builds one JSON text. Call key() before each value inside an object. Misuse is
// a programming error (asserted).
class JsonWriter {
 public:
  explicit JsonWriter(bool pretty = false) : pretty_(pretty) {}
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view v);
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  JsonWriter& value(const std::string& v) { return value(std::string_view(v)); }
  JsonWriter& value(bool v);
  JsonWriter& value(int64_t v);
  JsonWriter& value(uint64_t v);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(unsigned v) { return value(static_cast<uint64_t>(v)); }
  JsonWriter& value(double v);
  JsonWriter& null();
  // JsonWriter::field: key(k).value(v).
  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  // JsonWriter::str: the text so far.
  const std::string& str() const { return out_; }

  // escape: `s` as a quoted JSON string.
  static std::string escape(std::string_view s);

 private:
  void before_value();
  void newline();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
  bool pretty_;
};

}  // namespace idtap
