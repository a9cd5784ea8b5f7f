#include "dbvp/host/nvme_host.h"

#include "dbvp/util/format.h"

namespace dbvp::host::nvme {

namespace {
constexpr std::uint32_t CAP = 0x00, VS = 0x08, CC = 0x14, CSTS = 0x1c;
constexpr std::uint32_t CC_EN = 1, CSTS_RDY = 1;
constexpr unsigned DSTRD_SHIFT = 32;
} // namespace

bool driver::fail(const std::string& e) {
    error_ = e;
    return false;
}

std::uint32_t driver::read_reg(std::uint32_t off) {
    std::uint32_t v = 0;
    h_.mem_read(bar0_ + off, &v, 4);
    return v;
}

bool driver::probe() {
    const bar_info& b = fn_.bars[0];
    if (!b.present || !b.is64 || b.size < 0x2000)
        return fail(bdf_string(fn_.bdf) + ": BAR0 must be a 64-bit memory BAR of at least 0x2000 bytes");
    bar0_ = b.address;
    cap_ = read_reg(CAP) | (std::uint64_t{read_reg(CAP + 4)} << 32);
    vs_ = read_reg(VS);
    if (cap_ == ~std::uint64_t{0})
        return fail("CAP reads all-ones");
    dstrd_ = static_cast<unsigned>((cap_ >> DSTRD_SHIFT) & 0xf);
    return true;
}

bool driver::enable(std::uint64_t timeout_ns) {
    const std::uint32_t cc = read_reg(CC) | CC_EN;
    h_.mem_write(bar0_ + CC, &cc, 4);
    const std::uint64_t deadline = h_.now_ns() + timeout_ns;
    for (std::uint32_t csts = read_reg(CSTS); csts == 0xffffffffu || !(csts & CSTS_RDY); csts = read_reg(CSTS)) {
        if (h_.now_ns() >= deadline)
            return fail("CSTS.RDY did not come up");
        h_.sleep_ns(100000);
    }
    return true;
}

void driver::write_sq_tail(unsigned queue, std::uint32_t tail) { h_.mem_write(sq_tail_address(queue), &tail, 4); }
void driver::write_cq_head(unsigned queue, std::uint32_t head) { h_.mem_write(cq_head_address(queue), &head, 4); }

} // namespace dbvp::host::nvme
