// Test support: running a command through the shell, and the dbvp command (DBVP_CLI: the built executable, a
// compile definition of every test) as a user would. stdin is /dev/null; the exit status is the command's (-1
// when it could not start or did not exit normally, e.g. a signal).
//
//   cli(args)          stdout and stderr merged into text (what a user sees)
//   cli_stdout(args)   stdout only in text (stderr discarded): JSON, CSV
//   cli_split(args)    stdout in text, stderr in err, apart
//   shell(cmd)         any command line; stdout in text
//
// `args` are shell words: quote what needs quoting.
#pragma once

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace dbvp::test {

struct cli_output {
    int status = -1;
    std::string text; // stdout (and stderr, for cli())
    std::string err;  // stderr, for cli_split()
};

inline cli_output shell(const std::string& cmd) {
    cli_output o;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p)
        return o;
    std::array<char, 65536> buf{};
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
        o.text.append(buf.data(), n);
    const int st = pclose(p);
    o.status = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return o;
}

#ifdef DBVP_CLI
inline std::string cli_command(const std::string& args) { return std::string(DBVP_CLI) + " " + args + " </dev/null"; }

inline cli_output cli(const std::string& args) { return shell(cli_command(args) + " 2>&1"); }

inline cli_output cli_stdout(const std::string& args) { return shell(cli_command(args) + " 2>/dev/null"); }

inline cli_output cli_split(const std::string& args) {
    const char* dir = std::getenv("TMPDIR");
    std::string errfile = std::string(dir && *dir ? dir : "/tmp") + "/dbvp-cli-stderr-XXXXXX";
    const int fd = mkstemp(errfile.data());
    if (fd < 0)
        return {};
    close(fd);
    cli_output o = shell(cli_command(args) + " 2>'" + errfile + "'");
    std::ifstream in(errfile, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    o.err = ss.str();
    std::remove(errfile.c_str());
    return o;
}
#endif

} // namespace dbvp::test
