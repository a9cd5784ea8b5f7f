// dbvp fuzzing — pieces shared by the libFuzzer targets (tests/fuzz/fuzz_*.cpp) and the seed generator
// (tests/fuzz/make_seeds.cpp).
//
//   reader / writer   the input format of every target: a sequence of little-endian fields read front to back.
//                     Past the end of the input a reader returns zeros, so every byte string is a valid input and
//                     the seed generator writes exactly what the targets read (fuzz_format.h has the layouts).
//   install_reports() SystemC report policy of a fuzz run: guest warnings ("dbvp/guest", the models' answer to
//                     mis-programming) and infos are expected and silent; any other warning is printed once per
//                     message type; SC_ERROR and SC_FATAL print and abort() so libFuzzer records a crash.
//   fail(...)         an invariant of the target was violated: print and abort().
#pragma once

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#ifndef DBVP_FUZZ_NO_SYSTEMC
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#include <systemc>
#endif

namespace dbvp::fuzz {

class reader {
public:
    reader(const std::uint8_t* data, std::size_t size) : d_(data), n_(size) {}
    bool done() const { return pos_ >= n_; }
    std::size_t left() const { return pos_ < n_ ? n_ - pos_ : 0; }
    std::uint8_t u8() { return pos_ < n_ ? d_[pos_++] : 0; }
    std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
    std::uint32_t u32() {
        const std::uint32_t lo = u16();
        return lo | (static_cast<std::uint32_t>(u16()) << 16);
    }
    std::uint64_t u64() {
        const std::uint64_t lo = u32();
        return lo | (static_cast<std::uint64_t>(u32()) << 32);
    }
    bool flag() { return u8() & 1; }

private:
    const std::uint8_t* d_;
    std::size_t n_;
    std::size_t pos_ = 0;
};

class writer {
public:
    writer& u8(unsigned v) {
        buf_.push_back(static_cast<std::uint8_t>(v));
        return *this;
    }
    writer& u16(unsigned v) { return u8(v & 0xff).u8((v >> 8) & 0xff); }
    writer& u32(std::uint32_t v) { return u16(v & 0xffff).u16(v >> 16); }
    writer& u64(std::uint64_t v) { return u32(static_cast<std::uint32_t>(v)).u32(static_cast<std::uint32_t>(v >> 32)); }
    writer& flag(bool b) { return u8(b ? 1 : 0); }
    const std::vector<std::uint8_t>& bytes() const { return buf_; }

private:
    std::vector<std::uint8_t> buf_;
};

/// The n bytes at address pa of a RAM whose bytes `ram` hold [base, base + size), or nullptr if they are not all
/// inside (a table address from the input may point anywhere).
inline std::uint8_t* window(std::uint8_t* ram, std::uint64_t base, std::uint64_t size, std::uint64_t pa,
                            std::uint64_t n) {
    if (pa < base || pa - base > size || n > size - (pa - base))
        return nullptr;
    return ram + (pa - base);
}
/// 64-bit little-endian store / load through window()'s answer (nothing / 0 outside the RAM).
inline void store64(std::uint8_t* p, std::uint64_t v) {
    if (p)
        std::memcpy(p, &v, 8);
}
inline std::uint64_t load64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    if (p)
        std::memcpy(&v, p, 8);
    return v;
}

[[noreturn]] inline void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
inline void fail(const char* fmt, ...) {
    std::va_list ap;
    va_start(ap, fmt);
    std::fputs("dbvp-fuzz: INVARIANT VIOLATED: ", stderr);
    std::vfprintf(stderr, fmt, ap);
    std::fputc('\n', stderr);
    va_end(ap);
    std::fflush(stderr);
    std::abort();
}

/// DBVP_FUZZ_VERBOSE=1: the targets print a line of statistics per input (to check what a seed exercises).
inline bool verbose() {
    static const bool v = [] {
        const char* e = std::getenv("DBVP_FUZZ_VERBOSE");
        return e && *e && std::strcmp(e, "0") != 0;
    }();
    return v;
}

#ifndef DBVP_FUZZ_NO_SYSTEMC
inline void report_handler(const sc_core::sc_report& r, const sc_core::sc_actions&) {
    const sc_core::sc_severity sev = r.get_severity();
    const char* type = r.get_msg_type() ? r.get_msg_type() : "";
    if (sev == sc_core::SC_INFO)
        return;
    if (sev == sc_core::SC_WARNING) {
        if (std::strcmp(type, "dbvp/guest") == 0)
            return; // the models' documented answer to guest mis-programming
        static std::set<std::string> seen;
        if (seen.insert(type).second)
            std::fprintf(stderr, "dbvp-fuzz: SystemC warning (shown once per type) %s: %s\n", type, r.get_msg());
        return;
    }
    std::fprintf(stderr, "dbvp-fuzz: SystemC %s %s: %s (%s:%d)\n", sev == sc_core::SC_ERROR ? "error" : "fatal",
                 type, r.get_msg(), r.get_file_name() ? r.get_file_name() : "?", r.get_line_number());
    std::fflush(stderr);
    std::abort();
}

/// Call after every sc_start() returns. Debian's libsystemc 2.3.4 tells AddressSanitizer about its coroutine
/// switches (__sanitizer_start_switch_fiber), but with an empty stack (bottom 0, size 0) for the main coroutine:
/// once the kernel switched back to main, ASan and LeakSanitizer believe the main thread's stack is [0, 0), so the
/// leak check never scans it and reports whatever only main's frames point to (libFuzzer's own arguments, for
/// one). This switches ASan back to the real main stack.
inline void restore_main_stack() {
    static void* bottom = nullptr;
    static std::size_t size = 0;
    if (!bottom) {
        pthread_attr_t a;
        if (pthread_getattr_np(pthread_self(), &a) != 0 || pthread_attr_getstack(&a, &bottom, &size) != 0) {
            std::fputs("dbvp-fuzz: cannot read the main thread's stack bounds\n", stderr);
            std::abort();
        }
        pthread_attr_destroy(&a);
    }
    void* fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, bottom, size);
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
}

/// The SystemC targets' driver: an SC_THREAD body that runs one input per activation. Driver has `bool busy,
/// done`, `sc_core::sc_event go` and `void job()` (reads the input it was given).
template <class Driver> void driver_loop(Driver& d) {
    for (;;) {
        while (!d.busy)
            sc_core::wait(d.go);
        d.job();
        d.busy = false;
        d.done = true;
        sc_core::sc_pause();
    }
}

/// LLVMFuzzerTestOneInput of a SystemC target: hands the input to the driver thread, runs the kernel until the
/// thread pauses it (at most 1 s of simulated time) and fails if the input did not finish.
template <class Driver> void run_input(Driver& d, const std::uint8_t* data, std::size_t size) {
    d.data = data;
    d.size = size;
    d.busy = true;
    d.done = false;
    d.go.notify(sc_core::SC_ZERO_TIME);
    sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_SEC));
    restore_main_stack();
    if (!d.done)
        fail("the driver thread is still blocked after 1 s of simulated time (a request never completed)");
}

/// Call first thing (LLVMFuzzerInitialize): no banner, the report policy above.
inline void install_reports() {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    sc_core::sc_report_handler::set_handler(report_handler);
}
#endif

} // namespace dbvp::fuzz

#ifndef DBVP_FUZZ_NO_SYSTEMC
// libsystemc.so refers to sc_main (its own main() calls it); the fuzzers use libFuzzer's main() and drive the
// kernel themselves, so this one never runs.
#define DBVP_FUZZ_SC_MAIN                                                                                          \
    int sc_main(int, char*[]) { return 0; }
#endif
