// The simulated card image: the directory loader and writer (card.conf's grammar is card_conf.cpp).
#include "idtap/sim/card_image.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "idtap/base/file_io.h"

namespace idtap::sim {
namespace {

namespace fs = std::filesystem;

// ---- files ---------------------------------------------------------------------------------

std::string errno_text(int e) { return std::strerror(e); }

Status make_dir(const fs::path& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0) return make_error(ErrorCode::kIo, path.string() + ": mkdir: " + errno_text(errno));
  return ok_status();
}

// sync_dir: best effort (the rename that follows is what makes the image appear whole).
void sync_dir(const fs::path& path) { (void)sync_directory(path); }

// The names under files/ and what they hold.
struct EfName {
  const char* name;
  std::optional<Bytes> CardFiles::*member;
};
constexpr std::array<EfName, 4> kEfNames = {{
    {"ef_cardaccess.bin", &CardFiles::card_access},
    {"ef_cardsecurity.bin", &CardFiles::card_security},
    {"ef_com.bin", &CardFiles::com},
    {"ef_sod.bin", &CardFiles::sod},
}};

std::optional<int> dg_from_file_name(std::string_view name) {
  if (name.size() < 7 || name.substr(0, 2) != "dg" || name.substr(name.size() - 4) != ".bin") return std::nullopt;
  std::string_view digits = name.substr(2, name.size() - 6);
  if (digits.empty() || digits.size() > 2 || digits[0] == '0') return std::nullopt;
  int n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > 16) return std::nullopt;
  return n;
}

bool valid_pki_name(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos) return false;
  return name.find('\0') == std::string_view::npos;
}

Status load_files(const fs::path& dir, CardFiles& files) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return ok_status();  // a card with no files at all
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    bool known = false;
    for (const auto& ef : kEfNames) {
      if (name == ef.name) {
        IDTAP_ASSIGN_OR_RETURN(files.*(ef.member), read_file(entry.path()));
        known = true;
      }
    }
    if (auto dg = dg_from_file_name(name)) {
      IDTAP_ASSIGN_OR_RETURN(files.data_groups[*dg], read_file(entry.path()));
      known = true;
    }
    if (!known) return make_error(ErrorCode::kMalformed, entry.path().string() + ": not a card file name (expected ef_*.bin or dg1.bin..dg16.bin)");
  }
  if (ec) return make_error(ErrorCode::kIo, dir.string() + ": " + ec.message());
  return ok_status();
}

Status load_chip(const fs::path& dir, ChipKeys& chip) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return ok_status();
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name == "ca_key.pem") {
      IDTAP_ASSIGN_OR_RETURN(chip.ca_key_pem, read_file_secure(entry.path()));
    } else if (name == "aa_key.pem") {
      IDTAP_ASSIGN_OR_RETURN(chip.aa_key_pem, read_file_secure(entry.path()));
    } else {
      return make_error(ErrorCode::kMalformed, entry.path().string() + ": not a chip key name (expected ca_key.pem or aa_key.pem)");
    }
  }
  if (ec) return make_error(ErrorCode::kIo, dir.string() + ": " + ec.message());
  return ok_status();
}

Status load_pki(const fs::path& dir, std::map<std::string, Bytes>& pki) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return ok_status();
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    IDTAP_ASSIGN_OR_RETURN(pki[entry.path().filename().string()], read_file(entry.path()));
  }
  if (ec) return make_error(ErrorCode::kIo, dir.string() + ": " + ec.message());
  return ok_status();
}

Status validate_for_write(const CardImage& image) {
  for (const auto& [dg, _] : image.files.data_groups)
    if (dg < 1 || dg > 16) return make_error(ErrorCode::kInvalidArgument, "data group DG" + std::to_string(dg) + " out of 1..16");
  for (const auto& [name, _] : image.pki)
    if (!valid_pki_name(name)) return make_error(ErrorCode::kInvalidArgument, "pki file name '" + name + "' is not a plain file name");
  // The config must load back: parse what we would write.
  SecureBytes text = format_card_conf(image.config);
  auto parsed = parse_card_conf(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
  if (!parsed.ok()) return make_error(ErrorCode::kInvalidArgument, "card config would not load back: " + parsed.error().context);
  return ok_status();
}

Status write_tree(const fs::path& root, const CardImage& image) {
  SecureBytes conf = format_card_conf(image.config);
  IDTAP_TRY(write_new_file_durable(root / "card.conf", conf, 0600));
  IDTAP_TRY(make_dir(root / "files", 0755));
  for (const auto& ef : kEfNames)
    if (const auto& content = image.files.*(ef.member)) IDTAP_TRY(write_new_file_durable(root / "files" / ef.name, *content, 0644));
  for (const auto& [dg, content] : image.files.data_groups) {
    IDTAP_ASSIGN_OR_RETURN(std::string name, file_name_for_dg(dg));
    IDTAP_TRY(write_new_file_durable(root / "files" / name, content, 0644));
  }
  IDTAP_TRY(make_dir(root / "chip", 0700));
  if (!image.chip.ca_key_pem.empty()) IDTAP_TRY(write_new_file_durable(root / "chip" / "ca_key.pem", image.chip.ca_key_pem, 0600));
  if (!image.chip.aa_key_pem.empty()) IDTAP_TRY(write_new_file_durable(root / "chip" / "aa_key.pem", image.chip.aa_key_pem, 0600));
  if (!image.pki.empty()) {
    IDTAP_TRY(make_dir(root / "pki", 0700));
    for (const auto& [name, content] : image.pki) IDTAP_TRY(write_new_file_durable(root / "pki" / name, content, 0600));
  }
  sync_dir(root / "files");
  sync_dir(root / "chip");
  sync_dir(root);
  return ok_status();
}

}  // namespace

Result<std::string> file_name_for_dg(int dg) {
  if (dg < 1 || dg > 16) return make_error(ErrorCode::kInvalidArgument, "data group DG" + std::to_string(dg) + " out of 1..16");
  return "dg" + std::to_string(dg) + ".bin";
}

Result<CardImage> load_card_image(const std::string& dir, const LoadOptions& options) {
  fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return make_error(ErrorCode::kNotFound, dir + ": no such card image directory");
  CardImage image;
  IDTAP_ASSIGN_OR_RETURN(SecureBytes conf, read_file_secure(root / "card.conf"));
  std::string origin = (root / "card.conf").string();
  IDTAP_ASSIGN_OR_RETURN(image.config, parse_card_conf(std::string_view(reinterpret_cast<const char*>(conf.data()), conf.size()), origin));
  IDTAP_TRY(load_files(root / "files", image.files));
  IDTAP_TRY(load_chip(root / "chip", image.chip));
  if (options.include_pki) IDTAP_TRY(load_pki(root / "pki", image.pki));
  return image;
}

Status write_card_image(const std::string& dir, const CardImage& image) {
  IDTAP_TRY(validate_for_write(image));
  fs::path target = fs::path(dir).lexically_normal();
  if (target.has_filename() == false) target = target.parent_path();
  if (target.empty()) return make_error(ErrorCode::kInvalidArgument, "empty card image path");
  fs::path parent = target.parent_path();
  if (parent.empty()) parent = ".";
  std::string templ = (parent / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return make_error(ErrorCode::kIo, templ + ": mkdtemp: " + errno_text(errno));
  fs::path tmp(buf.data());
  auto cleanup = [&] {
    std::error_code rm;
    fs::remove_all(tmp, rm);
  };
  ::chmod(tmp.c_str(), 0755);
  if (Status s = write_tree(tmp, image); !s.ok()) {
    cleanup();
    return s;
  }
  std::error_code ec;
  if (fs::exists(target, ec)) {
    if (!fs::is_directory(target, ec)) {
      cleanup();
      return make_error(ErrorCode::kIo, target.string() + ": exists and is not a directory");
    }
    // Swap the new tree in atomically; the old one ends up at `tmp` and is removed.
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
      int e = errno;
      cleanup();
      return make_error(ErrorCode::kIo, target.string() + ": rename: " + errno_text(e));
    }
  } else if (::rename(tmp.c_str(), target.c_str()) != 0) {
    int e = errno;
    cleanup();
    return make_error(ErrorCode::kIo, target.string() + ": rename: " + errno_text(e));
  }
  sync_dir(parent);
  cleanup();  // after an exchange: the old image
  return ok_status();
}

}  // namespace idtap::sim
