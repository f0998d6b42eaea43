# hh - build, test, demo and benchmark. `make test` and `make demo` install
# the Debian packages they need first (runtime/tools/ensure-deps.sh).

PREFIX ?= /usr/local
BUILD ?= build
CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Werror -Wshadow -Wundef -Wwrite-strings \
           -Wmissing-prototypes -Wstrict-prototypes
SIM_PKGS = libmicrohttpd jansson libcrypto
HH_PKGS = lua5.4 libcurl yaml-0.1 sqlite3 libpq libcrypto

# Recursive (=) so pkg-config runs only when a compile does, after ensure-deps.
SIM_CFLAGS = $(shell pkg-config --cflags $(SIM_PKGS))
SIM_LIBS = $(shell pkg-config --libs $(SIM_PKGS)) -lpthread -lm
HH_CFLAGS = $(shell pkg-config --cflags $(HH_PKGS))
HH_LIBS = -llua5.4-cjson $(shell pkg-config --libs $(HH_PKGS)) -lm
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARNINGS) $(CFLAGS) $(SAN)

SIM_SRC = $(wildcard runtime/sim/*.c)
SIM_OBJ = $(SIM_SRC:%.c=$(BUILD)/%.o)
HH_SRC = $(wildcard runtime/*.c)
HH_OBJ = $(HH_SRC:%.c=$(BUILD)/%.o) $(BUILD)/embedded.o
LUA_SRC = $(sort $(wildcard lua/hh/*.lua))

.PHONY: all test check demo bench soak fuzz fuzz-build fuzz-harnesses sanitize valgrind install uninstall clean deps

all: $(BUILD)/hh $(BUILD)/hh-sim

$(BUILD)/hh: $(HH_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $(HH_OBJ) $(HH_LIBS) $(LDFLAGS)

$(BUILD)/runtime/%.o: runtime/%.c $(wildcard runtime/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(HH_CFLAGS) -c -o $@ $<

# The Lua library, compiled into the binary.
$(BUILD)/embed: runtime/tools/embed.c
	@mkdir -p $(BUILD)
	$(CC) -std=c11 -O1 -o $@ $<

$(BUILD)/embedded.c: $(BUILD)/embed $(LUA_SRC)
	$(BUILD)/embed $(LUA_SRC) > $@.tmp && mv $@.tmp $@

$(BUILD)/embedded.o: $(BUILD)/embedded.c runtime/embedded.h
	$(CC) $(ALL_CFLAGS) -Iruntime -c -o $@ $<

$(BUILD)/hh-sim: $(SIM_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $(SIM_OBJ) $(SIM_LIBS) $(LDFLAGS)

$(BUILD)/runtime/sim/%.o: runtime/sim/%.c $(wildcard runtime/sim/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SIM_CFLAGS) -c -o $@ $<

deps:
	@runtime/tools/ensure-deps.sh build

# The test suite: TAP under prove.
test:
	@runtime/tools/ensure-deps.sh test
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory check

check:
	HH_BUILD=$(abspath $(BUILD)) prove -f tests/t[0-9]*.sh

sanitize:
	@runtime/tools/ensure-deps.sh test
	@$(MAKE) --no-print-directory BUILD=build-san CFLAGS="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		HH_BUILD=$(abspath build-san) prove -f tests/t[0-9]*.sh

valgrind:
	@runtime/tools/ensure-deps.sh valgrind
	@$(MAKE) --no-print-directory all
	HH_BUILD=$(abspath $(BUILD)) HH_VALGRIND=1 prove -f tests/t[0-9]*.sh

demo:
	@runtime/tools/ensure-deps.sh demo
	@$(MAKE) --no-print-directory all
	@runtime/tools/demo.sh $(abspath $(BUILD))

bench:
	@runtime/tools/ensure-deps.sh bench
	@$(MAKE) --no-print-directory all
	@tests/bench/bench.sh $(abspath $(BUILD))
	@tests/bench/bench-qc.sh $(abspath $(BUILD))
	@tests/bench/bench-team.sh $(abspath $(BUILD))
	@node tests/bench/bench-judge.js $(abspath $(BUILD))/hh

# The money reconciliation under a fault storm: SOAK_JOBS (10000), SOAK_RATE
# (0.05), SOAK_KILLS (10), SOAK_SEED (1); tests/soak.sh says the rest.
soak:
	@runtime/tools/ensure-deps.sh soak
	@$(MAKE) --no-print-directory all
	HH_BUILD=$(abspath $(BUILD)) tests/soak.sh

# libFuzzer harnesses (tests/fuzz/README.md): hh's objects without main.c,
# built with clang under ASan and UBSan in their own directory, then each
# harness run for FUZZ_SECONDS (60) over its seeds; a crash fails the target.
FUZZ_BUILD = build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES = yaml canonical recipe
FUZZ_SAN = -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJ = $(filter-out $(BUILD)/runtime/main.o,$(HH_OBJ))

fuzz:
	@runtime/tools/ensure-deps.sh fuzz
	@$(MAKE) --no-print-directory fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(abspath $(FUZZ_BUILD)) $(FUZZ_HARNESSES)

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang CFLAGS="-O1 -g -fno-omit-frame-pointer" \
		SAN="$(FUZZ_SAN)" fuzz-harnesses

fuzz-harnesses: $(FUZZ_HARNESSES:%=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_json.c tests/fuzz/fuzz_json.h $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(HH_CFLAGS) -iquote runtime -fsanitize=fuzzer -o $@ $< tests/fuzz/fuzz_json.c \
		$(FUZZ_OBJ) $(HH_LIBS) $(LDFLAGS)

# The man page and completions are made by hh itself, from the help texts.
INSTALLED = bin/hh bin/hh-sim share/man/man1/hh.1 share/bash-completion/completions/hh \
	share/zsh/site-functions/_hh share/doc/hh share/hh
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/doc/hh $(DESTDIR)$(PREFIX)/share/hh/recipes
	install -m 755 $(BUILD)/hh $(DESTDIR)$(PREFIX)/bin/hh
	install -m 755 $(BUILD)/hh-sim $(DESTDIR)$(PREFIX)/bin/hh-sim
	$(BUILD)/hh help --man > $(DESTDIR)$(PREFIX)/share/man/man1/hh.1
	$(BUILD)/hh help --completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/hh
	$(BUILD)/hh help --completion zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_hh
	install -m 644 README.md LICENSE docs/*.md docs/*.png docs/recipe.schema.json $(DESTDIR)$(PREFIX)/share/doc/hh
	cp -R recipes/. $(DESTDIR)$(PREFIX)/share/hh/recipes/

uninstall:
	rm -rf $(addprefix $(DESTDIR)$(PREFIX)/,$(INSTALLED))

clean:
	rm -rf build build-san $(FUZZ_BUILD)
