# dq_lineage: data quality and column lineage inside PostgreSQL (PGXS build)
#
#   make && sudo make install     build and install the extension
#   make demo                     set up, build, start a demo cluster, profile demo data
#   make test-all                 run pg_regress, isolation and TAP suites; prints "N passed, N failed"

EXTENSION	= dq_lineage
EXTVERSION	= 0.2.0
MODULE_big	= dq_lineage

# One folder per subsystem (see "Source layout" in README.md); the library
# is every .c file below src/.  Headers are included with their folder,
# "base/guc.h", so that a file's dependencies show in its includes.
DQ_DIRS		= src src/base src/sketch src/profile src/expect src/lineage \
			  src/cdc src/sched src/report src/alert src/monitor
DQ_SRCS		= $(sort $(foreach d,$(DQ_DIRS),$(wildcard $(d)/*.c)))
DQ_HDRS		= $(sort $(foreach d,$(DQ_DIRS),$(wildcard $(d)/*.h)))
OBJS		= $(DQ_SRCS:.c=.o)
PG_CPPFLAGS	= -I$(srcdir)/src
# Alert delivery (src/alert) sends HTTP requests with libcurl
# (Debian: libcurl4-openssl-dev).
SHLIB_LINK	= -lcurl

# Warnings are errors by default; packagers override with DQ_WERROR=.
DQ_WERROR	?= -Werror
# Link-time optimization across the library: the profiler's per-value path
# calls into the sketch files (about 3% of a profile's time).  The library
# does not rely on interposing its own global functions.  DQ_LTO= turns it
# off for builds with their own optimisation flags.
DQ_LTO		?= -flto=auto -fno-semantic-interposition
PG_CFLAGS	= -Wall -Wextra $(DQ_WERROR) -Wno-unused-parameter \
			  -Wno-missing-field-initializers -Wno-sign-compare $(DQ_LTO)
# DQ_NO_SIMD=1 builds only the portable code paths (no SSE2), the way the
# tests check that the portable paths give the same results.
ifneq ($(DQ_NO_SIMD),)
PG_CPPFLAGS	+= -DDQ_NO_SIMD
endif

# The install script of the current version is built from one piece per
# subsystem (sql/install/NN_*.sql, concatenated in name order), and each
# upgrade script from the pieces in sql/upgrade/<from>--<to>/, so that a
# change to one subsystem's catalog is a diff of that subsystem's files.
# The install scripts of earlier versions are kept as they were released
# (sql/dq_lineage--<version>.sql), for the upgrade test.
DATA		= $(sort $(wildcard sql/$(EXTENSION)--*.sql))
DQ_UPGRADES	= $(notdir $(wildcard sql/upgrade/*--*))
DATA_built	= build/$(EXTENSION)--$(EXTVERSION).sql \
			  $(foreach u,$(DQ_UPGRADES),build/$(EXTENSION)--$(u).sql)

# pg_regress: inputs sql/NN_*.sql, outputs expected/NN_*.out, own temporary
# instance configured like the demo cluster (preloaded, wal_level=logical).
REGRESS		= $(patsubst sql/%.sql,%,$(sort $(wildcard sql/[0-9]*.sql)))
REGRESS_OPTS = --temp-instance=./tmp_check_regress \
			   --temp-config=build/dq_test.conf

# Isolation specs and their expected outputs live under test/isolation.
ISOLATION	= $(patsubst test/isolation/specs/%.spec,%,$(sort $(wildcard test/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=output_iso \
				 --temp-instance=./tmp_check_iso \
				 --temp-config=build/dq_test.conf --load-extension=$(EXTENSION)

# TAP tests (PostgreSQL::Test::Cluster) with the shared helper in test/perl.
TAP_TESTS	= 1

EXTRA_CLEAN	= build output_iso tmp_check_iso tmp_check_regress results regression.diffs regression.out

PG_CONFIG	?= pg_config
PGXS		:= $(shell $(PG_CONFIG) --pgxs)

# Debian's PGXS is configured with LLVM; JIT bitcode would need clang-14.
# The extension does not need JIT-inlinable bitcode, so do not build it.
override with_llvm = no

include $(PGXS)

.SECONDEXPANSION:

# Must come after the PGXS include, which resets it.
PROVE_FLAGS	+= -I ./test/perl
PROVE_TESTS	= $(sort $(wildcard test/t/*.pl))

# The temporary instances' settings: test/dq_test.conf, plus the
# output_plugin_libraries entry on servers that have that setting
# (Debian's 15.20 has it, 15.18 does not and would refuse to start).
PG_SHAREDIR := $(shell $(PG_CONFIG) --sharedir)
build/dq_test.conf: test/dq_test.conf
	@mkdir -p build
	cp $< $@
	@if grep -q output_plugin_libraries '$(PG_SHAREDIR)/postgresql.conf.sample'; then \
		echo "output_plugin_libraries = 'pgoutput, test_decoding, dq_lineage'" >> $@; \
	fi

installcheck: build/dq_test.conf

build/$(EXTENSION)--$(EXTVERSION).sql: $(sort $(wildcard sql/install/*.sql))
	@mkdir -p build
	cat $^ > $@

# An upgrade piece takes statements that are the same as in a fresh install
# from the install piece with "-- @include FILE [SECTION]" lines, which
# scripts/sql-include.pl expands; hence the install pieces as dependencies.
build/$(EXTENSION)--%.sql: $$(sort $$(wildcard sql/upgrade/%/*.sql)) \
		$(wildcard sql/install/*.sql) scripts/sql-include.pl
	@mkdir -p build
	perl scripts/sql-include.pl $(filter sql/upgrade/%,$^) > $@.tmp
	mv $@.tmp $@

.PHONY: demo demo-stop test-all
demo:
	./scripts/demo.sh

demo-stop:
	./scripts/demo.sh stop

test-all:
	./scripts/test-all.sh

# Rebuild objects when a header changes (PGXS tracks no header dependencies).
$(OBJS): $(DQ_HDRS)

# Static analysis of our own sources (PostgreSQL's headers are not read:
# the version is the one major compat.h accepts, and the macros cppcheck
# cannot expand without the headers are defined in the .cfg file).
.PHONY: lint
lint:
	cppcheck --enable=warning,style,performance,portability --std=c99 \
		--quiet --inline-suppr --error-exitcode=1 \
		--suppress=missingIncludeSystem --suppress=missingInclude \
		--suppress=unusedFunction --library=scripts/cppcheck-postgres.cfg \
		-DPG_VERSION_NUM=150000 -I src $(DQ_SRCS)
