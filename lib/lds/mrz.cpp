#include "idtap/lds/mrz.h"

#include <algorithm>
#include <cstdio>

namespace idtap::lds {
namespace {

bool is_mrz_char(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '<'; }

// trim_fillers: `s` without its trailing '<'.
std::string trim_fillers(std::string_view s) {
  size_t end = s.size();
  while (end > 0 && s[end - 1] == '<') --end;
  return std::string(s.substr(0, end));
}

// name_part: '<' -> ' ', trailing and leading blanks dropped, runs of blanks collapsed.
std::string name_part(std::string_view s) {
  std::string out;
  for (char c : s) {
    char v = c == '<' ? ' ' : c;
    if (v == ' ' && (out.empty() || out.back() == ' ')) continue;
    out.push_back(v);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

MrzCheckDigit check(std::string_view field, char read) {
  MrzCheckDigit c;
  c.read = read;
  c.computed = mrz_check_digit(field).value_or('?');
  c.valid = c.read == c.computed;
  return c;
}

// mrz_date: a YYMMDD field as printed and, when it is a date, with its century (lds/date.h).
MrzDate mrz_date(std::string_view raw, const Date& today, bool birth) {
  return MrzDate{std::string(raw), mrz_date_of(raw, today, birth ? MrzDateKind::kBirth : MrzDateKind::kExpiry)};
}

void split_name(std::string_view field, Mrz& m) {
  size_t sep = field.find("<<");
  if (sep == std::string_view::npos) {
    m.primary_identifier = name_part(field);
    return;
  }
  m.primary_identifier = name_part(field.substr(0, sep));
  m.secondary_identifier = name_part(field.substr(sep + 2));
}

// long_number: ICAO 9303-5 §4.2.2 note j / 9303-6 §4.2.2: when the check digit position after
// the 9-character number holds '<', the number continues in the optional data, whose first
// '<' is preceded by the number's check digit.
void read_document_number(std::string_view number9, char check_pos, std::string_view optional, Mrz& m,
                          std::string& optional_rest) {
  if (check_pos == '<' && !optional.empty() && optional[0] != '<') {
    size_t end = optional.find('<');
    if (end == std::string_view::npos) end = optional.size();
    std::string extra(optional.substr(0, end - 1));
    const char digit = optional[end - 1];
    m.long_document_number = true;
    m.document_number = std::string(number9) + extra;
    m.document_number_check = check(m.document_number, digit);
    optional_rest = trim_fillers(optional.substr(end));
    // Fillers between the continuation and the rest are dropped.
    size_t first = optional_rest.find_first_not_of('<');
    optional_rest = first == std::string::npos ? std::string() : optional_rest.substr(first);
    return;
  }
  m.document_number = trim_fillers(number9);
  m.document_number_check = check(number9, check_pos);
  optional_rest = trim_fillers(optional);
}

}  // namespace

const char* mrz_format_name(MrzFormat f) {
  switch (f) {
    case MrzFormat::kTd1: return "TD1";
    case MrzFormat::kTd2: return "TD2";
    case MrzFormat::kTd3: return "TD3";
  }
  return "?";
}

std::optional<char> mrz_check_digit(std::string_view field) {
  // ICAO 9303-3 §4.9: values 0-9, A=10 .. Z=35, '<'=0; weights 7, 3, 1 repeating; sum mod 10.
  static constexpr int kWeights[] = {7, 3, 1};
  int sum = 0;
  for (size_t i = 0; i < field.size(); ++i) {
    const char c = field[i];
    int v = 0;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'A' && c <= 'Z') v = c - 'A' + 10;
    else if (c == '<') v = 0;
    else return std::nullopt;
    sum += v * kWeights[i % 3];
  }
  return static_cast<char>('0' + sum % 10);
}

Result<std::string> normalize_mrz(std::string_view text) {
  std::vector<std::string> lines;
  std::string cur;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      if (!cur.empty()) lines.push_back(cur);
      cur.clear();
    } else if (c == ' ' || c == '\t') {
      continue;  // blanks around lines (an MRZ never holds a blank)
    } else {
      if (!is_mrz_char(c))
        return make_error(ErrorCode::kInvalidArgument, std::string("MRZ: character '") + c + "' is not 0-9, A-Z or '<'");
      cur.push_back(c);
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  std::string all;
  for (const auto& l : lines) all += l;
  size_t line_len = all.size() == 90 ? 30 : all.size() == 72 ? 36 : all.size() == 88 ? 44 : 0;
  if (line_len == 0)
    return make_error(ErrorCode::kInvalidArgument, "MRZ: " + std::to_string(all.size()) +
                                                       " characters (TD1 has 90, TD2 72, TD3 88)");
  if (lines.size() > 1)
    for (const auto& l : lines)
      if (l.size() != line_len)
        return make_error(ErrorCode::kInvalidArgument, "MRZ: a line of " + std::to_string(l.size()) + " characters where " +
                                                           std::to_string(line_len) + " are expected");
  return all;
}

std::vector<std::string> Mrz::lines() const {
  size_t len = format == MrzFormat::kTd1 ? 30 : format == MrzFormat::kTd2 ? 36 : 44;
  std::vector<std::string> out;
  for (size_t i = 0; i + len <= text.size(); i += len) out.push_back(text.substr(i, len));
  return out;
}

std::vector<std::string> Mrz::invalid_checks() const {
  std::vector<std::string> out;
  if (!document_number_check.valid) out.push_back("document number");
  if (!date_of_birth_check.valid) out.push_back("date of birth");
  if (!date_of_expiry_check.valid) out.push_back("date of expiry");
  if (optional_data_check && !optional_data_check->valid) out.push_back("optional data");
  if (!composite_check.valid) out.push_back("composite");
  return out;
}

Result<Mrz> parse_mrz(std::string_view text, const MrzOptions& options) {
  auto norm = normalize_mrz(text);
  if (!norm.ok()) return make_error(ErrorCode::kMalformed, norm.error().context);
  const std::string s = std::move(norm).value();
  const Date today = options.today.value_or(today_utc());
  Mrz m;
  m.text = s;
  const std::string_view v(m.text);
  if (s.size() == 90) {
    // TD1, ICAO 9303-5 §4.2.2: line 1 = code(2) state(3) number(9) check(1) optional(15);
    // line 2 = birth(6) check sex expiry(6) check nationality(3) optional(11) composite;
    // line 3 = name(30).
    m.format = MrzFormat::kTd1;
    const std::string_view l1 = v.substr(0, 30), l2 = v.substr(30, 30), l3 = v.substr(60, 30);
    m.document_code = trim_fillers(l1.substr(0, 2));
    m.issuing_state = trim_fillers(l1.substr(2, 3));
    read_document_number(l1.substr(5, 9), l1[14], l1.substr(15, 15), m, m.optional_data);
    m.date_of_birth = mrz_date(l2.substr(0, 6), today, true);
    m.date_of_birth_check = check(l2.substr(0, 6), l2[6]);
    m.sex = l2[7];
    m.date_of_expiry = mrz_date(l2.substr(8, 6), today, false);
    m.date_of_expiry_check = check(l2.substr(8, 6), l2[14]);
    m.nationality = trim_fillers(l2.substr(15, 3));
    m.optional_data_2 = trim_fillers(l2.substr(18, 11));
    std::string composite = std::string(l1.substr(5, 25)) + std::string(l2.substr(0, 7)) +
                            std::string(l2.substr(8, 7)) + std::string(l2.substr(18, 11));
    m.composite_check = check(composite, l2[29]);
    split_name(l3, m);
    return m;
  }
  // TD2 (ICAO 9303-6 §4.2.2) and TD3 (ICAO 9303-4 §4.2.2): line 1 = code(2) state(3) name;
  // line 2 = number(9) check nationality(3) birth(6) check sex expiry(6) check optional
  // [check] composite.
  const size_t len = s.size() / 2;
  m.format = len == 36 ? MrzFormat::kTd2 : MrzFormat::kTd3;
  const std::string_view l1 = v.substr(0, len), l2 = v.substr(len, len);
  m.document_code = trim_fillers(l1.substr(0, 2));
  m.issuing_state = trim_fillers(l1.substr(2, 3));
  split_name(l1.substr(5), m);
  m.nationality = trim_fillers(l2.substr(10, 3));
  m.date_of_birth = mrz_date(l2.substr(13, 6), today, true);
  m.date_of_birth_check = check(l2.substr(13, 6), l2[19]);
  m.sex = l2[20];
  m.date_of_expiry = mrz_date(l2.substr(21, 6), today, false);
  m.date_of_expiry_check = check(l2.substr(21, 6), l2[27]);
  if (m.format == MrzFormat::kTd2) {
    read_document_number(l2.substr(0, 9), l2[9], l2.substr(28, 7), m, m.optional_data);
    m.composite_check = check(std::string(l2.substr(0, 10)) + std::string(l2.substr(13, 7)) + std::string(l2.substr(21, 14)), l2[35]);
  } else {
    m.document_number = trim_fillers(l2.substr(0, 9));
    m.document_number_check = check(l2.substr(0, 9), l2[9]);
    const std::string_view personal = l2.substr(28, 14);
    m.optional_data = trim_fillers(personal);
    MrzCheckDigit pc = check(personal, l2[42]);
    // ICAO 9303-4 §4.2.2.2 note: an unused personal number field may carry '<' as its check
    // digit (its computed value is 0).
    if (m.optional_data.empty() && l2[42] == '<') pc.valid = true;
    m.optional_data_check = pc;
    m.composite_check = check(std::string(l2.substr(0, 10)) + std::string(l2.substr(13, 7)) + std::string(l2.substr(21, 22)), l2[43]);
  }
  return m;
}

Status verify_mrz_checks(const Mrz& m) {
  std::string bad;
  auto add = [&bad](const char* name, const MrzCheckDigit& c) {
    if (c.valid) return;
    if (!bad.empty()) bad += ", ";
    bad += std::string(name) + " (read " + c.read + ", computed " + c.computed + ")";
  };
  add("document number", m.document_number_check);
  add("date of birth", m.date_of_birth_check);
  add("date of expiry", m.date_of_expiry_check);
  if (m.optional_data_check) add("optional data", *m.optional_data_check);
  add("composite", m.composite_check);
  if (!bad.empty()) return make_error(ErrorCode::kMalformed, "MRZ check digit wrong: " + bad);
  return ok_status();
}

namespace {

Result<std::string> field(std::string_view value, size_t width, const char* name, bool allow_longer = false) {
  std::string out;
  for (char c : value) {
    char v = c == ' ' ? '<' : c;
    if (!is_mrz_char(v)) return make_error(ErrorCode::kInvalidArgument, std::string("MRZ ") + name + ": character '" + c + "' not allowed");
    out.push_back(v);
  }
  if (out.size() > width && !allow_longer)
    return make_error(ErrorCode::kInvalidArgument, std::string("MRZ ") + name + " longer than " + std::to_string(width) + " characters");
  while (out.size() < width) out.push_back('<');
  return out;
}

Result<std::string> name_field(const MrzFields& f, size_t width) {
  std::string name = f.primary_identifier;
  if (!f.secondary_identifier.empty()) name += "<<" + f.secondary_identifier;
  return field(name, width, "name");
}

}  // namespace

Result<std::string> compose_mrz(const MrzFields& f) {
  if (!is_valid_date(f.date_of_birth) || !is_valid_date(f.date_of_expiry))
    return make_error(ErrorCode::kInvalidArgument, "MRZ: date of birth and date of expiry must be calendar dates");
  IDTAP_ASSIGN_OR_RETURN(std::string code, field(f.document_code, 2, "document code"));
  IDTAP_ASSIGN_OR_RETURN(std::string state, field(f.issuing_state, 3, "issuing state"));
  IDTAP_ASSIGN_OR_RETURN(std::string nat, field(f.nationality, 3, "nationality"));
  IDTAP_ASSIGN_OR_RETURN(std::string sex, field(std::string(1, f.sex), 1, "sex"));
  const std::string birth = format_yymmdd(f.date_of_birth), expiry = format_yymmdd(f.date_of_expiry);
  const std::string birth_cd = birth + *mrz_check_digit(birth), expiry_cd = expiry + *mrz_check_digit(expiry);
  IDTAP_ASSIGN_OR_RETURN(std::string number, field(f.document_number, 9, "document number", f.format != MrzFormat::kTd3));
  // number9 + check (or '<' and the continuation in the optional data, ICAO 9303-5 §4.2.2).
  auto number_and_optional = [&](size_t optional_width, std::string& num10, std::string& optional) -> Status {
    IDTAP_ASSIGN_OR_RETURN(std::string opt, field(f.optional_data, 0, "optional data", true));
    while (!opt.empty() && opt.back() == '<') opt.pop_back();
    const char cd = *mrz_check_digit(number);
    if (number.size() > 9) {
      num10 = number.substr(0, 9) + "<";
      opt = number.substr(9) + cd + (opt.empty() ? "" : "<" + opt);
    } else {
      num10 = number + cd;
    }
    if (opt.size() > optional_width)
      return make_error(ErrorCode::kInvalidArgument, "MRZ optional data (with any document number continuation) does not fit");
    optional = opt + std::string(optional_width - opt.size(), '<');
    return ok_status();
  };
  if (f.format == MrzFormat::kTd1) {
    std::string num10, opt1;
    IDTAP_TRY(number_and_optional(15, num10, opt1));
    IDTAP_ASSIGN_OR_RETURN(std::string opt2, field(f.optional_data_2, 11, "optional data 2"));
    IDTAP_ASSIGN_OR_RETURN(std::string name, name_field(f, 30));
    const std::string l1 = code + state + num10 + opt1;
    std::string l2 = birth_cd + sex + expiry_cd + nat + opt2;
    l2 += *mrz_check_digit(l1.substr(5, 25) + l2.substr(0, 7) + l2.substr(8, 7) + l2.substr(18, 11));
    return l1 + l2 + name;
  }
  if (f.format == MrzFormat::kTd2) {
    std::string num10, opt;
    IDTAP_TRY(number_and_optional(7, num10, opt));
    IDTAP_ASSIGN_OR_RETURN(std::string name, name_field(f, 31));
    std::string l2 = num10 + nat + birth_cd + sex + expiry_cd + opt;
    l2 += *mrz_check_digit(l2.substr(0, 10) + l2.substr(13, 7) + l2.substr(21, 14));
    return code + state + name + l2;
  }
  IDTAP_ASSIGN_OR_RETURN(std::string name, name_field(f, 39));
  IDTAP_ASSIGN_OR_RETURN(std::string personal, field(f.optional_data, 14, "personal number"));
  const char pcd = f.optional_data.empty() ? '<' : *mrz_check_digit(personal);
  std::string l2 = number + *mrz_check_digit(number) + nat + birth_cd + sex + expiry_cd + personal + pcd;
  l2 += *mrz_check_digit(l2.substr(0, 10) + l2.substr(13, 7) + l2.substr(21, 22));
  return code + state + name + l2;
}

}  // namespace idtap::lds
