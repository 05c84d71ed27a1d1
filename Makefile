# idtap: GNU Make build. One static archive per layer; each layer is compiled with only the
# include paths of the layers below it, so an upward #include fails to build.
#
#   make            build the archives, libidtap.so, the idtap tool
#   make check      install missing Debian packages, build, run the whole doctest suite
#   make check SANITIZE=1   the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo       the main job against the built-in simulated card
#   make fuzz       libFuzzer targets (clang-14), each for FUZZ_SECONDS
#   make bench      the benchmarks under tests/bench/
#   make install / uninstall   honour PREFIX and DESTDIR

SHELL      := /bin/bash
PREFIX     ?= /usr/local
DESTDIR    ?=
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
# The console's web files (share/console) go to $(SHAREDIR)/idtap/console.
SHAREDIR   ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
# udev reads /usr/lib/udev/rules.d and /etc/udev/rules.d, not $(PREFIX)/lib/udev for other prefixes.
UDEVDIR    ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/udev/rules.d,$(SYSCONFDIR)/udev/rules.d)
# The systemd unit of `idtap serve` (tools/idtap-serve.service, ExecStart rewritten to BINDIR).
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# pcscd looks for driver bundles only in its own drop directory (pkg-config libpcsclite usbdropdir).
PCSC_DROPDIR ?= $(or $(shell pkg-config --variable=usbdropdir libpcsclite 2>/dev/null),$(LIBDIR)/pcsc/drivers)

VERSION    := 0.1.0
SOVERSION  := 0

CXX        ?= g++
ifeq ($(origin CXX),default)
CXX        := g++
endif

SANITIZE   ?=
ifeq ($(SANITIZE),1)
BUILD      ?= build/san
# g++ 12 reports -Wmaybe-uninitialized false positives inside libstdc++ (<regex>, std::function)
# under -O1 with the sanitizers; the -O2 build keeps the warning as an error.
OPTFLAGS   := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
              -Wno-maybe-uninitialized
SANLDFLAGS := -fsanitize=address,undefined
else
BUILD      ?= build/rel
OPTFLAGS   := -O2
SANLDFLAGS :=
endif

WARNFLAGS  := -Wall -Wextra -Werror -Wno-missing-field-initializers
CXXFLAGS   += -std=c++20 -fPIC $(OPTFLAGS) $(WARNFLAGS) -MMD -MP
EXT_CFLAGS := $(shell pkg-config --cflags openssl fmt 2>/dev/null)
PCSC_CFLAGS := $(shell pkg-config --cflags libpcsclite 2>/dev/null)
NFC_CFLAGS := $(shell pkg-config --cflags libnfc 2>/dev/null)
MEDIA_CFLAGS := $(shell pkg-config --cflags libopenjp2 libpng libcbor sqlite3 libpq 2>/dev/null)
# What each part links. The core (every layer but pcsc, nfc and select: the reader, the
# protocols, provisioning, the simulated card) needs neither pcsc-lite nor libnfc, to build or
# to link (tests/install checks it); the drivers add them. The core's test binaries link the
# core only; the tool, the shared library, the drivers' tests, benchmarks and fuzz targets link
# both.
CORE_PC    := libcbor sqlite3 libpq libopenjp2 libpng libjpeg zlib fmt openssl libqrencode
DRIVER_PC  := libpcsclite libnfc
CORE_LIBS  := $(shell pkg-config --libs $(CORE_PC) 2>/dev/null) -lpthread
EXT_LIBS   := $(shell pkg-config --libs $(DRIVER_PC) 2>/dev/null) $(CORE_LIBS)

# ---------------------------------------------------------------------------------------------
# Layers: name, directory, the layers it may include (besides itself), extra flags.
# Dependencies flow downward only (see README "The layers").
LAYERS := base image apdu describe crypto lds sm auth sim pcsc nfc select reader provision issue capi
CORE_LAYERS := $(filter-out pcsc nfc select capi,$(LAYERS))
# The core archives in link order (users before what they use), for a link without --start-group.
CORE_LINK_ORDER := issue provision reader sim auth sm lds crypto describe apdu image base

dir_base      := lib/base
dir_image     := lib/image
dir_apdu      := apdu
dir_describe  := lib/describe
dir_crypto    := lib/crypto
dir_lds       := lib/lds
dir_sm        := lib/sm
dir_auth      := lib/auth
dir_sim       := drivers/sim
dir_pcsc      := drivers/pcsc
dir_nfc       := drivers/nfc
dir_select    := drivers/select
dir_reader    := lib/reader
dir_provision := lib/provision
dir_issue     := lib/issue
dir_capi      := lib/capi

deps_base      :=
deps_image     := base
deps_apdu      := base
deps_describe  := base apdu
deps_crypto    := base
deps_lds       := base image apdu crypto
deps_sm        := base apdu crypto
deps_auth      := base image apdu crypto sm lds
deps_sim       := base image apdu crypto sm lds auth
deps_pcsc      := base apdu
deps_nfc       := base apdu
deps_select    := base image apdu describe pcsc nfc sim crypto sm lds auth
deps_reader    := base image apdu crypto sm lds auth
deps_provision := base image apdu crypto lds auth reader
deps_issue     := base image apdu crypto lds auth reader provision
deps_capi      := base image apdu describe crypto lds sm auth sim pcsc nfc select reader provision issue

flags_pcsc      := $(PCSC_CFLAGS)
flags_nfc       := $(NFC_CFLAGS)
flags_select    := $(PCSC_CFLAGS) $(NFC_CFLAGS)
flags_image     := $(MEDIA_CFLAGS)
flags_lds       := $(MEDIA_CFLAGS)
flags_sim       := $(MEDIA_CFLAGS)
flags_reader    := $(MEDIA_CFLAGS)
flags_provision := $(MEDIA_CFLAGS)
flags_issue     := $(MEDIA_CFLAGS)
# The C API: only what idtap.h marks IDTAP_API is visible; -g gives abidw the types of idtap.h.
flags_capi      := $(PCSC_CFLAGS) $(NFC_CFLAGS) $(MEDIA_CFLAGS) -g -fvisibility=hidden -fvisibility-inlines-hidden \
                   -DIDTAP_BUILDING_CAPI -DIDTAP_VERSION='"$(VERSION)"'

ALL_INCLUDES := $(foreach l,$(LAYERS),-I$(dir_$(l))/include)

define layer_template
SRCS_$(1) := $$(sort $$(wildcard $$(dir_$(1))/*.cpp))
OBJS_$(1) := $$(patsubst %.cpp,$$(BUILD)/obj/%.o,$$(SRCS_$(1)))
LIB_$(1)  := $$(BUILD)/lib/libidtap_$(1).a
$$(BUILD)/obj/$$(dir_$(1))/%.o: LAYER_FLAGS := -I$$(dir_$(1))/include $$(foreach d,$$(deps_$(1)),-I$$(dir_$$(d))/include) $$(flags_$(1))
$$(LIB_$(1)): $$(OBJS_$(1))
	@mkdir -p $$(@D)
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_template,$(l))))

ALL_LIB_OBJS := $(foreach l,$(LAYERS),$(OBJS_$(l)))
ALL_ARCHIVES := $(foreach l,$(LAYERS),$(LIB_$(l)))
LINK_ARCHIVES := -Wl,--start-group $(ALL_ARCHIVES) -Wl,--end-group
CORE_ARCHIVES := $(foreach l,$(CORE_LINK_ORDER),$(LIB_$(l)))

# The compile command line, recorded so that a change of CXX or flags rebuilds every object.
FLAGS_STAMP := $(BUILD)/compile-flags
$(FLAGS_STAMP): FORCE
	$(shell mkdir -p $(@D))$(file >$@.tmp,$(CXX) $(CXXFLAGS) $(EXT_CFLAGS))
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

$(BUILD)/obj/%.o: %.cpp $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(EXT_CFLAGS) $(LAYER_FLAGS) -c $< -o $@

# ---------------------------------------------------------------------------------------------
# The shared library, the tool, pkg-config.
# libidtap.so is the C API (lib/capi, idtap/idtap.h) and nothing else: its objects are compiled
# with hidden visibility, and the version script (node IDTAP_1) exports idtap_* only; the layers
# below are linked in from their archives and stay local (C++ users link the archives). The ABI
# of each SONAME is recorded in lib/capi/abi/ (abidw) and checked by tests/capi (abidiff).
SHLIB      := $(BUILD)/lib/libidtap.so.$(VERSION)
SHLIB_MAP  := lib/capi/libidtap.map
$(SHLIB): $(OBJS_capi) $(ALL_ARCHIVES) $(SHLIB_MAP)
	@mkdir -p $(@D)
	$(CXX) -shared -Wl,-soname,libidtap.so.$(SOVERSION) -Wl,--no-undefined -Wl,--version-script=$(SHLIB_MAP) \
	  $(SANLDFLAGS) -o $@ $(OBJS_capi) $(LINK_ARCHIVES) $(EXT_LIBS)
	ln -sf libidtap.so.$(VERSION) $(BUILD)/lib/libidtap.so.$(SOVERSION)
	ln -sf libidtap.so.$(SOVERSION) $(BUILD)/lib/libidtap.so

# The ABI baseline of the current SONAME (abigail-tools): `make abi-baseline` writes it after a
# deliberate SONAME bump; tests/capi/abi_test.cpp compares every build with it (abidiff).
ABI_BASELINE := lib/capi/abi/libidtap.so.$(SOVERSION).abi
ABIDW_FLAGS  := --exported-interfaces-only --headers-dir lib/capi/include/idtap --drop-private-types --no-corpus-path
.PHONY: abi-baseline
abi-baseline: $(SHLIB)
	@mkdir -p $(dir $(ABI_BASELINE))
	abidw $(ABIDW_FLAGS) --out-file $(ABI_BASELINE) $(SHLIB)

TOOL_SRCS  := $(sort $(wildcard tools/*.cpp))
TOOL_OBJS  := $(patsubst %.cpp,$(BUILD)/obj/%.o,$(TOOL_SRCS))
# cpp-httplib (Debian's compiled libcpp-httplib, with its OpenSSL TLS): only `idtap serve` and
# the tests and benchmark that talk HTTP to it use it.
HTTP_CFLAGS := $(shell pkg-config --cflags cpp-httplib 2>/dev/null)
HTTP_LIBS  := $(shell pkg-config --libs cpp-httplib 2>/dev/null) -lssl -lcrypto
$(BUILD)/obj/tools/%.o: LAYER_FLAGS := $(ALL_INCLUDES) -Itools $(PCSC_CFLAGS) $(NFC_CFLAGS) $(MEDIA_CFLAGS) $(HTTP_CFLAGS) \
  -DIDTAP_VERSION='"$(VERSION)"'
# VERSION is a define of the tool's main.cpp and of tests/tools: recorded, so a new VERSION
# rebuilds those objects.
VERSION_STAMP := $(BUILD)/version
$(VERSION_STAMP): FORCE
	$(shell mkdir -p $(@D))$(file >$@.tmp,$(VERSION))
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
$(BUILD)/obj/tools/main.o $(BUILD)/obj/lib/capi/status.o: $(VERSION_STAMP)
IDTAP      := $(BUILD)/bin/idtap
$(IDTAP): $(TOOL_OBJS) $(ALL_ARCHIVES)
	@mkdir -p $(@D)
	$(CXX) $(SANLDFLAGS) -o $@ $(TOOL_OBJS) $(LINK_ARCHIVES) $(EXT_LIBS) $(HTTP_LIBS)

# The pcscd IFD handler for libnfc readers (drivers/ifd), built as its own shared object. It is
# loaded into pcscd: it links only what it uses (libnfc, not libpcsclite: pcscd itself provides
# the PC/SC side), resolves every symbol at build time (-z defs) and exports only the IFDH*
# entry points (exports.map), so the idtap code inside cannot clash with other drivers.
IFD_SRCS   := $(sort $(wildcard drivers/ifd/*.cpp))
IFD_OBJS   := $(patsubst %.cpp,$(BUILD)/obj/%.o,$(IFD_SRCS))
IFD_LIBS   := $(shell pkg-config --libs libnfc 2>/dev/null) -lpthread
$(BUILD)/obj/drivers/ifd/%.o: LAYER_FLAGS := -Idrivers/ifd -I$(dir_base)/include -I$(dir_apdu)/include -I$(dir_nfc)/include $(PCSC_CFLAGS) $(NFC_CFLAGS)
IFD_SO     := $(BUILD)/lib/libidtap_ifd.so
ifneq ($(IFD_SRCS),)
$(IFD_SO): $(IFD_OBJS) $(LIB_nfc) $(LIB_apdu) $(LIB_base) drivers/ifd/exports.map
	@mkdir -p $(@D)
	$(CXX) -shared $(SANLDFLAGS) -Wl,-soname,libidtap_ifd.so -Wl,--version-script=drivers/ifd/exports.map -Wl,-z,defs \
	  -o $@ $(IFD_OBJS) $(LIB_nfc) $(LIB_apdu) $(LIB_base) $(IFD_LIBS)
IFD_TARGET := $(IFD_SO)
endif

# idtap.pc: libdir and includedir are written relative to ${prefix} when they lie under it, so
# `pkg-config --define-prefix` can relocate a DESTDIR tree. The build-tree copy is rewritten only
# when its text changes; `install` writes the installed one with the install's own paths.
pc_relative = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
# HEADER_PC: header-only dependencies of installed headers (idtap/issue/jose.h includes
# <nlohmann/json.hpp>): their Cflags reach C++ users of the static archives.
HEADER_PC  := nlohmann_json
PC_LINES   = 'prefix=$(PREFIX)' 'libdir=$(call pc_relative,$(LIBDIR))' \
	  'includedir=$(call pc_relative,$(INCLUDEDIR))' '' \
	  'Name: idtap' 'Description: NFC identity-card middleware (ICAO 9303 eMRTD, PC/SC, libnfc)' \
	  'Version: $(VERSION)' 'Libs: -L$${libdir} -lidtap' \
	  'Libs.private: -lpthread' \
	  'Requires.private: $(DRIVER_PC) $(CORE_PC) $(HEADER_PC)' \
	  'Cflags: -I$${includedir}'
PC_FILE    := $(BUILD)/idtap.pc
$(PC_FILE): FORCE
	@mkdir -p $(@D)
	@printf '%s\n' $(PC_LINES) > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
.PHONY: FORCE
FORCE:

.PHONY: all
all: $(ALL_ARCHIVES) $(SHLIB) $(IDTAP) $(PC_FILE) $(IFD_TARGET)
.DEFAULT_GOAL := all

# ---------------------------------------------------------------------------------------------
# Tests: every directory under tests/ holding *_test.cpp files becomes one doctest binary.
TEST_SRCS    := $(sort $(shell find tests -name '*_test.cpp' -not -path 'tests/fuzz/*' -not -path 'tests/bench/*' 2>/dev/null))
TEST_DIRS    := $(sort $(dir $(TEST_SRCS)))
SUPPORT_SRCS := $(sort $(wildcard tests/support/*.cpp))
SUPPORT_OBJS := $(patsubst %.cpp,$(BUILD)/obj/%.o,$(SUPPORT_SRCS))
TEST_FLAGS   := $(ALL_INCLUDES) -Itests -Idrivers/ifd $(PCSC_CFLAGS) $(NFC_CFLAGS) $(MEDIA_CFLAGS) \
                -DIDTAP_SOURCE_DIR='"$(CURDIR)"' -DIDTAP_BUILD_DIR='"$(CURDIR)/$(BUILD)"'
$(BUILD)/obj/tests/%.o: LAYER_FLAGS := $(TEST_FLAGS)
# tests/install runs `make install` into a temporary DESTDIR and builds a program against it
# with the compiler and sanitizer flags of this build.
$(BUILD)/obj/tests/install/%.o: LAYER_FLAGS := $(TEST_FLAGS) -DIDTAP_TEST_CXX='"$(CXX)"' \
  -DIDTAP_TEST_BUILD='"$(BUILD)"' -DIDTAP_TEST_SANITIZE='"$(SANITIZE)"' \
  -DIDTAP_TEST_SANLDFLAGS='"$(SANLDFLAGS)"' -DIDTAP_TEST_VERSION='"$(VERSION)"' \
  -DIDTAP_TEST_SOVERSION='"$(SOVERSION)"' \
  -DIDTAP_TEST_CORE_INCLUDES='"$(foreach l,$(CORE_LAYERS),-I$(CURDIR)/$(dir_$(l))/include) $(MEDIA_CFLAGS) $(shell pkg-config --cflags openssl fmt 2>/dev/null)"' \
  -DIDTAP_TEST_CORE_LINK='"$(foreach l,$(CORE_LINK_ORDER),$(CURDIR)/$(LIB_$(l))) $(CORE_LIBS)"'

# tests/capi: the C API in process, and the installed library (make install DESTDIR=tmp) with the
# examples under tools/examples built against it, as tests/install does.
$(BUILD)/obj/tests/capi/%.o: LAYER_FLAGS := $(TEST_FLAGS) -DIDTAP_TEST_CXX='"$(CXX)"' \
  -DIDTAP_TEST_BUILD='"$(BUILD)"' -DIDTAP_TEST_SANITIZE='"$(SANITIZE)"' \
  -DIDTAP_TEST_SANLDFLAGS='"$(SANLDFLAGS)"' -DIDTAP_TEST_VERSION='"$(VERSION)"' \
  -DIDTAP_TEST_SOVERSION='"$(SOVERSION)"' -DIDTAP_TEST_ABI_BASELINE='"$(CURDIR)/$(ABI_BASELINE)"' \
  -DIDTAP_TEST_ABIDW_FLAGS='"$(ABIDW_FLAGS)"'
$(BUILD)/obj/tests/capi/api_test.o: $(VERSION_STAMP)

# tests/tools checks `idtap --version` against the Makefile's VERSION.
$(BUILD)/obj/tests/tools/%.o: LAYER_FLAGS := $(TEST_FLAGS) -DIDTAP_TEST_VERSION='"$(VERSION)"'
$(BUILD)/obj/tests/tools/cli_test.o: $(VERSION_STAMP)

# tests/serve: the test wallet (tests/serve/wallet.cpp) and `idtap serve` end to end, over
# cpp-httplib's client; the serve benchmark uses the same wallet.
SERVE_WALLET_OBJS := $(patsubst %.cpp,$(BUILD)/obj/%.o,$(filter-out %_test.cpp %_main.cpp,$(wildcard tests/serve/*.cpp)))
# make demo's phone: the test wallet as a program (tests/serve/demo_wallet_main.cpp).
DEMO_WALLET := $(BUILD)/bin/idtap-demo-wallet
$(DEMO_WALLET): $(BUILD)/obj/tests/serve/demo_wallet_main.o $(SERVE_WALLET_OBJS) $(SUPPORT_OBJS) $(ALL_ARCHIVES)
	@mkdir -p $(@D)
	$(CXX) $(SANLDFLAGS) -o $@ $< $(SERVE_WALLET_OBJS) $(filter-out %/doctest_main.o,$(SUPPORT_OBJS)) $(LINK_ARCHIVES) $(EXT_LIBS) $(HTTP_LIBS)
$(BUILD)/obj/tests/serve/%.o: LAYER_FLAGS := $(TEST_FLAGS) $(HTTP_CFLAGS)
$(BUILD)/obj/tests/bench/serve_bench.o: LAYER_FLAGS := $(TEST_FLAGS) $(HTTP_CFLAGS)
TEST_EXTRA_OBJS_serve := $(SERVE_WALLET_OBJS)
TEST_EXTRA_OBJS_tools := $(BUILD)/obj/tools/console_sessions.o
TEST_EXTRA_LIBS_serve := $(HTTP_LIBS)

# The test directories whose tests use the drivers (pcsc, nfc, select, the pcscd driver under
# drivers/ifd, or a real pcscd through tests/support/pcscd_fixture.cpp): they link every archive,
# pcsc-lite and libnfc. Every other test directory is the core's: it links the core archives,
# CORE_LIBS and the support files but the pcscd fixture, so a core test that reaches a driver
# does not link. Their libraries are linked --no-as-needed (the toolchain's default drops unused
# ones), so each binary's NEEDED entries are its link line, and tests/install checks that no core
# test binary names libpcsclite or libnfc.
DRIVER_TEST_DIRS  := tests/pcsc/ tests/nfc/ tests/select/ tests/ifd/ tests/integration/ tests/tools/ tests/capi/
CORE_SUPPORT_OBJS := $(filter-out %/pcscd_fixture.o,$(SUPPORT_OBJS))

test_name = $(subst /,_,$(patsubst tests/%/,%,$(1)))
test_is_core = $(if $(filter $(1),$(DRIVER_TEST_DIRS)),,core)
define test_template
TEST_OBJS_$(call test_name,$(1)) := $$(patsubst %.cpp,$$(BUILD)/obj/%.o,$$(filter $(1)%,$$(filter-out $(1)%/%,$$(TEST_SRCS)))) \
  $$(TEST_EXTRA_OBJS_$(call test_name,$(1)))
ifeq ($(call test_is_core,$(1)),core)
$$(BUILD)/tests/$(call test_name,$(1))_tests: $$(TEST_OBJS_$(call test_name,$(1))) $$(CORE_SUPPORT_OBJS) $$(CORE_ARCHIVES)
	@mkdir -p $$(@D)
	$$(CXX) $$(SANLDFLAGS) -o $$@ $$(TEST_OBJS_$(call test_name,$(1))) $$(CORE_SUPPORT_OBJS) $$(CORE_ARCHIVES) -Wl,--no-as-needed $$(CORE_LIBS) \
	  $$(TEST_EXTRA_LIBS_$(call test_name,$(1)))
CORE_TEST_BINS += $$(BUILD)/tests/$(call test_name,$(1))_tests
else
$$(BUILD)/tests/$(call test_name,$(1))_tests: $$(TEST_OBJS_$(call test_name,$(1))) $$(SUPPORT_OBJS) $$(ALL_ARCHIVES)
	@mkdir -p $$(@D)
	$$(CXX) $$(SANLDFLAGS) -o $$@ $$(TEST_OBJS_$(call test_name,$(1))) $$(SUPPORT_OBJS) $$(LINK_ARCHIVES) $$(EXT_LIBS) \
	  $$(TEST_EXTRA_LIBS_$(call test_name,$(1)))
DRIVER_TEST_BINS += $$(BUILD)/tests/$(call test_name,$(1))_tests
endif
TEST_BINS += $$(BUILD)/tests/$(call test_name,$(1))_tests
endef
TEST_BINS :=
CORE_TEST_BINS :=
DRIVER_TEST_BINS :=
$(foreach d,$(TEST_DIRS),$(eval $(call test_template,$(d))))

# test-links: the core's test binaries (line "core ...") and the drivers' ("driver ..."), for
# tests/install's check of what each links. Rewritten only when its text changes.
TEST_LINKS := $(BUILD)/test-links
$(TEST_LINKS): FORCE
	$(shell mkdir -p $(@D))$(file >$@.tmp,core $(CORE_TEST_BINS))$(file >>$@.tmp,driver $(DRIVER_TEST_BINS))
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

# Interoperability (tests/interop): independent implementations of OpenID4VCI and ISO 18013-5
# from npm, the exact versions of tests/interop/package-lock.json, installed into build/node/
# by `npm ci` (no install scripts run), shared by every BUILD. `make check` runs the node test
# files tests/interop/*.test.mjs (node's test runner) through tests/run.sh with the doctest
# binaries.
NODE_DIR     := build/node
NODE_MODULES := $(NODE_DIR)/node_modules/.package-lock.json
NODE_TESTS   := $(sort $(wildcard tests/interop/*.test.mjs tests/console/*.test.mjs))
$(NODE_MODULES): tests/interop/package.json tests/interop/package-lock.json
	@mkdir -p $(NODE_DIR)
	cp tests/interop/package.json tests/interop/package-lock.json $(NODE_DIR)/
	cd $(NODE_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
.PHONY: node-modules
node-modules: $(NODE_MODULES)

.PHONY: tests check
tests: all $(TEST_BINS) $(TEST_LINKS) $(NODE_MODULES)
# The build and every test run under tests/exec_trace (LD_PRELOAD), which logs each program
# started to $(EXEC_LOG); tests/deps (run last) checks that each comes from a package of
# DEB_PACKAGES or their dependencies, so a program installed only by hand fails here, not on a
# fresh machine.
EXEC_TRACE := $(BUILD)/lib/libexec_trace.so
EXEC_LOG   := $(BUILD)/exec.log
TRACE_ENV   = IDTAP_EXEC_LOG=$(CURDIR)/$(EXEC_LOG) LD_PRELOAD=$(CURDIR)/$(EXEC_TRACE) \
              $(if $(filter 1,$(SANITIZE)),ASAN_OPTIONS=$${ASAN_OPTIONS:+$$ASAN_OPTIONS:}verify_asan_link_order=0)
$(EXEC_TRACE): tests/exec_trace/exec_trace.cpp
	@mkdir -p $(@D)
	g++ -std=c++20 -O2 -fPIC -shared $(WARNFLAGS) -o $@ $< -ldl
check: deps
	@$(MAKE) --no-print-directory $(EXEC_TRACE)
	@rm -f $(EXEC_LOG)
	@$(TRACE_ENV) $(MAKE) --no-print-directory -j$$(nproc) tests
	@$(TRACE_ENV) IDTAP=$(CURDIR)/$(IDTAP) BUILD_DIR=$(CURDIR)/$(BUILD) IDTAP_NODE_DIR=$(CURDIR)/$(NODE_DIR) \
	  tests/run.sh $(filter-out %/deps_tests,$(TEST_BINS)) $(NODE_TESTS) $(filter %/deps_tests,$(TEST_BINS))

# ---------------------------------------------------------------------------------------------
# Benchmarks: tests/bench/*_bench.cpp, one binary each, run in turn by `make bench`.
BENCH_SRCS := $(sort $(wildcard tests/bench/*_bench.cpp))
BENCH_BINS := $(patsubst tests/bench/%.cpp,$(BUILD)/bench/%,$(BENCH_SRCS))
$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(SUPPORT_OBJS) $(ALL_ARCHIVES) $(SERVE_WALLET_OBJS)
	@mkdir -p $(@D)
	$(CXX) $(SANLDFLAGS) -o $@ $< $(filter-out %/doctest_main.o,$(SUPPORT_OBJS)) $(if $(filter serve_bench,$*),$(SERVE_WALLET_OBJS)) \
	  $(LINK_ARCHIVES) $(EXT_LIBS) $(if $(filter serve_bench,$*),$(HTTP_LIBS))
# ledger_scale_bench runs at 100,000 holders in `make bench` (SCALE_HOLDERS in its environment
# is not passed there); `make bench-scale` runs it alone at SCALE_HOLDERS (ten million: about
# 20 GB in /tmp and tens of minutes: the README's ledger section has the figures).
SCALE_HOLDERS ?= 10000000
.PHONY: bench bench-scale
bench: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all $(BENCH_BINS)
	@set -e; for b in $(BENCH_BINS); do echo "== $$b"; SCALE_HOLDERS=100000 $$b; done
bench-scale: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all $(BUILD)/bench/ledger_scale_bench
	SCALE_HOLDERS=$(SCALE_HOLDERS) $(BUILD)/bench/ledger_scale_bench

# ---------------------------------------------------------------------------------------------
# Fuzzing: tests/fuzz/NAME_fuzz.cpp, each defining LLVMFuzzerTestOneInput. `make fuzz` builds
# every layer and target with clang-14 (libFuzzer + ASan + UBSan, UB aborts) into build/fuzz/,
# then runs each target for FUZZ_SECONDS on its working corpus build/fuzz/corpus/NAME_fuzz/
# seeded from tests/fuzz/corpus/NAME_fuzz/ (optional). Every target runs; the make fails if any
# crashed, leaked, hung (-timeout) or failed to build. Logs in build/fuzz/logs/, reproducers in
# build/fuzz/artifacts/ (rerun one: build/fuzz/bin/NAME_fuzz build/fuzz/artifacts/FILE).
# Warnings are not errors here: g++ -Werror is the gate; a clang-only warning must not stop fuzzing.
FUZZ_SECONDS ?= 30
FUZZ_CXX   ?= clang++-14
FUZZ_FLAGS ?=
FUZZ_BUILD := build/fuzz
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/*_fuzz.cpp))
FUZZ_BINS  := $(patsubst tests/fuzz/%.cpp,$(FUZZ_BUILD)/bin/%,$(FUZZ_SRCS))
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
.PHONY: fuzz fuzz-build
fuzz-build: deps
	@$(MAKE) --no-print-directory -j$$(nproc) BUILD=$(FUZZ_BUILD) CXX=$(FUZZ_CXX) \
	  OPTFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN)" SANLDFLAGS="$(FUZZ_SAN)" \
	  WARNFLAGS="-Wall -Wextra -Wno-missing-field-initializers -Wno-unused-command-line-argument" \
	  $(FUZZ_BINS)
$(FUZZ_BUILD)/bin/%: $(FUZZ_BUILD)/obj/tests/fuzz/%.o $(ALL_ARCHIVES)
	@mkdir -p $(@D)
	$(CXX) -fsanitize=fuzzer $(SANLDFLAGS) -o $@ $< $(LINK_ARCHIVES) $(EXT_LIBS)
fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BUILD) $(FUZZ_FLAGS)

# ---------------------------------------------------------------------------------------------
# Set-up: the Debian packages the project needs, installed only when missing.
DEB_PACKAGES := g++ make pkg-config libssl-dev libfmt-dev doctest-dev libpcsclite-dev pcscd \
                libnfc-dev libnfc-bin vsmartcard-vpcd libcbor-dev libsqlite3-dev libopenjp2-7-dev \
                libpng-dev libjpeg-dev zlib1g-dev clang-14 libfuzzer-14-dev util-linux \
                bsdutils mount opensc pcsc-tools openssl nlohmann-json3-dev \
                 libcpp-httplib-dev libqrencode-dev zbar-tools nodejs npm postgresql libpq-dev \
                 abigail-tools python3 chromium fonts-nanum
.PHONY: print-deb-packages
print-deb-packages:
	@echo $(DEB_PACKAGES)
.PHONY: deps
# A package counts as present when installed, or when an installed package Provides it (as apt
# itself would resolve it): NodeSource's `nodejs` provides `npm` and conflicts with Debian's, so
# asking apt for `npm` there would remove the installed node.
deps:
	@provided=$$(dpkg-query -W -f='$${db:Status-Abbrev}|$${Provides}\n' 2>/dev/null | sed -n 's/^ii *|//p' | tr ',' '\n' | \
	  sed -E 's/^ *//; s/[ :(].*//' | sort -u); \
	missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || \
	  grep -qxF $$p <<<"$$provided" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing" $$missing; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root (or install: $$missing)"; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q --no-install-recommends $$missing >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$missing; }; \
	fi

# ---------------------------------------------------------------------------------------------
# The demo: the main job on the built-in simulated card.
.PHONY: demo
demo: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all $(DEMO_WALLET)
	@$(IDTAP) demo --out demo-out
	@$(DEMO_WALLET) demo-out

# ---------------------------------------------------------------------------------------------
.PHONY: install uninstall clean
# The layers that have public headers (LAYER_DIR/include/idtap/LAYER/*.h), and one layer's
# install commands.
HEADER_LAYERS := $(foreach l,$(LAYERS),$(if $(wildcard $(dir_$(l))/include/idtap/$(l)/*.h),$(l)))
define install_headers
	install -d $(DESTDIR)$(INCLUDEDIR)/idtap/$(1)
	install -m 0644 $(wildcard $(dir_$(1))/include/idtap/$(1)/*.h) $(DESTDIR)$(INCLUDEDIR)/idtap/$(1)/

endef
install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/idtap $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 0644 $(ALL_ARCHIVES) $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libidtap.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libidtap.so.$(SOVERSION)
	ln -sf libidtap.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libidtap.so
	$(foreach l,$(HEADER_LAYERS),$(call install_headers,$(l)))
	install -m 0644 $(wildcard $(dir_capi)/include/idtap/*.h) $(DESTDIR)$(INCLUDEDIR)/idtap/
	printf '%s\n' $(PC_LINES) > $(DESTDIR)$(LIBDIR)/pkgconfig/idtap.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/idtap.pc
	install -m 0755 $(IDTAP) $(DESTDIR)$(BINDIR)/idtap
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|/usr/local/bin/idtap|$(BINDIR)/idtap|' tools/idtap-serve.service > $(DESTDIR)$(SYSTEMDUNITDIR)/idtap-serve.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/idtap-serve.service
	sed 's|/usr/local/bin/idtap|$(BINDIR)/idtap|' tools/idtap-console.service > $(DESTDIR)$(SYSTEMDUNITDIR)/idtap-console.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/idtap-console.service
	install -d $(DESTDIR)$(SHAREDIR)/idtap/console
	install -m 0644 share/console/* $(DESTDIR)$(SHAREDIR)/idtap/console/
	@if ls udev/*.rules >/dev/null 2>&1; then install -d $(DESTDIR)$(UDEVDIR) && install -m 0644 udev/*.rules $(DESTDIR)$(UDEVDIR)/; fi
	@if ls udev/*.conf >/dev/null 2>&1; then install -d $(DESTDIR)$(SYSCONFDIR)/modprobe.d && install -m 0644 udev/*.conf $(DESTDIR)$(SYSCONFDIR)/modprobe.d/; fi
	@if [ -n "$(IFD_TARGET)" ]; then b=$(DESTDIR)$(PCSC_DROPDIR)/idtap_nfc.bundle/Contents; \
	  install -d $$b/Linux && install -m 0755 $(IFD_SO) $$b/Linux/libidtap_ifd.so && install -m 0644 drivers/ifd/Info.plist $$b/Info.plist; \
	  install -d $(DESTDIR)$(SYSCONFDIR)/reader.conf.d && \
	  sed 's|@LIBPATH@|$(PCSC_DROPDIR)/idtap_nfc.bundle/Contents/Linux/libidtap_ifd.so|' drivers/ifd/reader.conf.in \
	    > $(DESTDIR)$(SYSCONFDIR)/reader.conf.d/idtap-nfc && chmod 0644 $(DESTDIR)$(SYSCONFDIR)/reader.conf.d/idtap-nfc; fi

uninstall:
	rm -f $(foreach l,$(LAYERS),$(DESTDIR)$(LIBDIR)/libidtap_$(l).a)
	rm -f $(DESTDIR)$(LIBDIR)/libidtap.so $(DESTDIR)$(LIBDIR)/libidtap.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libidtap.so.$(VERSION)
	rm -rf $(DESTDIR)$(INCLUDEDIR)/idtap
	rm -f $(DESTDIR)$(LIBDIR)/pkgconfig/idtap.pc $(DESTDIR)$(BINDIR)/idtap
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/idtap-serve.service $(DESTDIR)$(SYSTEMDUNITDIR)/idtap-console.service
	rm -rf $(DESTDIR)$(SHAREDIR)/idtap
	for f in udev/*.rules; do [ -e "$$f" ] && rm -f $(DESTDIR)$(UDEVDIR)/$$(basename $$f); done; true
	for f in udev/*.conf; do [ -e "$$f" ] && rm -f $(DESTDIR)$(SYSCONFDIR)/modprobe.d/$$(basename $$f); done; true
	rm -rf $(DESTDIR)$(PCSC_DROPDIR)/idtap_nfc.bundle
	rm -f $(DESTDIR)$(SYSCONFDIR)/reader.conf.d/idtap-nfc

clean:
	rm -rf build

# Objects built through pattern chains (bench, fuzz) are kept, not deleted as intermediates.
# They are named: a bare .SECONDARY would make every target intermediate, and make then skips a
# new test's missing object whenever the test binary is newer than the new source. A recipe
# that fails removes its half-written target.
BENCH_OBJS := $(patsubst tests/bench/%.cpp,$(BUILD)/obj/tests/bench/%.o,$(BENCH_SRCS))
FUZZ_OBJS  := $(patsubst tests/fuzz/%.cpp,$(FUZZ_BUILD)/obj/tests/fuzz/%.o,$(FUZZ_SRCS))
.SECONDARY: $(BENCH_OBJS) $(FUZZ_OBJS)
.DELETE_ON_ERROR:

# Header dependencies (-MMD -MP) of every object this build knows about.
ALL_SRCS := $(foreach l,$(LAYERS),$(SRCS_$(l))) $(TOOL_SRCS) $(IFD_SRCS) $(TEST_SRCS) $(SUPPORT_SRCS) $(wildcard tests/serve/*.cpp) \
            $(BENCH_SRCS) $(FUZZ_SRCS)
-include $(wildcard $(patsubst %.cpp,$(BUILD)/obj/%.d,$(ALL_SRCS)))
