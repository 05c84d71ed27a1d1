#include "idtap/base/result.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

using namespace idtap;

namespace {

Result<int> parse_positive(int x) {
  if (x <= 0) return make_error(ErrorCode::kInvalidArgument, "not positive");
  return x;
}

Result<int> doubled(int x) {
  IDTAP_ASSIGN_OR_RETURN(int v, parse_positive(x));
  return v * 2;
}

Status check(int x) {
  IDTAP_TRY(parse_positive(x));
  return ok_status();
}

Result<std::unique_ptr<int>> make_unique_value(int x) { return std::make_unique<int>(x); }

}  // namespace

TEST_CASE("Result holds a value or an error and propagates errors in one line") {
  CHECK(doubled(21).value() == 42);
  auto bad = doubled(-1);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);
  CHECK(bad.error().context == "not positive");
  CHECK(check(3).ok());
  CHECK(check(0).error().code == ErrorCode::kInvalidArgument);
  CHECK(parse_positive(-5).value_or(7) == 7);
}

TEST_CASE("Result carries move-only values") {
  auto r = make_unique_value(5);
  REQUIRE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  CHECK(*p == 5);
}

TEST_CASE("Error message names the code, the context and the status word") {
  Error e = card_status_error(0x6982, "READ BINARY DG1");
  CHECK(e.message() == "card_status: READ BINARY DG1 (SW 6982)");
  CHECK(e.with_context("read").context == "read: READ BINARY DG1");
  CHECK(std::string(error_code_name(ErrorCode::kCardRemoved)) == "card_removed");
  CHECK(make_error(ErrorCode::kIo, "").message() == "io");
}
