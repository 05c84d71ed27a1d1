// idtap/base/result.h: Result<T> (a value or an Error), Status, and propagation macros.
#pragma once

#include <cassert>
#include <new>
#include <type_traits>
#include <utility>
#include <variant>

#include "idtap/base/error.h"

namespace idtap {

// Result<T>: holds either a T or an Error. Construct from either; test with ok(). Accessing the
// value of a failed Result (or the error of a successful one) is a bug and aborts in debug.
template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  Result(const T& value) : v_(std::in_place_index<0>, value) {}            // NOLINT
  Result(T&& value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}    // NOLINT
  template <class U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Error> && !std::is_same_v<std::decay_t<U>, Result>)
  Result(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

  // value_or: the value, or `fallback` when this holds an error.
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Error> v_;
};

// Result<void> (alias Status): success, or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { assert(!ok_); return error_; }
  Error&& error() && { assert(!ok_); return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};
using Status = Result<void>;

// ok_status: a successful Status.
inline Status ok_status() { return Status(); }

}  // namespace idtap

#define IDTAP_CONCAT_INNER_(a, b) a##b
#define IDTAP_CONCAT_(a, b) IDTAP_CONCAT_INNER_(a, b)

// IDTAP_TRY(expr): evaluate a Result/Status; on error return the error from this function.
#define IDTAP_TRY(expr)                                              \
  do {                                                               \
    auto&& idtap_try_result_ = (expr);                               \
    if (!idtap_try_result_.ok()) return std::move(idtap_try_result_).error(); \
  } while (0)

// IDTAP_ASSIGN_OR_RETURN(lhs, expr): `lhs = value of expr`, or return its error.
#define IDTAP_ASSIGN_OR_RETURN(lhs, expr) \
  IDTAP_ASSIGN_OR_RETURN_IMPL_(IDTAP_CONCAT_(idtap_aor_, __LINE__), lhs, expr)
#define IDTAP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).error();      \
  lhs = std::move(tmp).value()
