// Simulation time as OMNeT++ represents it by default: a 64-bit integer count of
// picoseconds (scale exponent -12). Printed exactly, without trailing zeros.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "util.h"

using simtime_t = int64_t;
constexpr simtime_t SIMTIME_PER_SECOND = 1000000000000LL;

inline std::string simtimeToString(simtime_t t)
{
    std::string sign = t < 0 ? "-" : "";
    uint64_t a = t < 0 ? -(uint64_t)t : (uint64_t)t;
    std::string s = sign + std::to_string(a / SIMTIME_PER_SECOND);
    uint64_t frac = a % SIMTIME_PER_SECOND;
    if (frac == 0)
        return s;
    std::string digits = strprintf("%012llu", (unsigned long long)frac);
    return s + "." + digits.substr(0, digits.find_last_not_of('0') + 1);
}

inline simtime_t secondsToSimtime(double seconds)
{
    double ps = std::round(seconds * SIMTIME_PER_SECOND);
    if (!(std::fabs(ps) < 9.2e18))
        throw Error(strprintf("Cannot represent %gs as simulation time (range is about +-106 days)", seconds));
    return (simtime_t)ps;
}

inline double simtimeToSeconds(simtime_t t)
{
    return (double)t / SIMTIME_PER_SECOND;
}
