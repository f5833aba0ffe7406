#include "stats.h"

#include <algorithm>
#include <cmath>

void Stats::collect(double x)
{
    lo = n == 0 ? x : std::min(lo, x);
    hi = n == 0 ? x : std::max(hi, x);
    n++;
    total += x;
    squares += x * x;
}

double Stats::min() const { return n ? lo : NAN; }
double Stats::max() const { return n ? hi : NAN; }
double Stats::mean() const { return n ? total / n : NAN; }

double Stats::stddev() const
{
    if (n < 2)
        return NAN;
    double var = (squares - total * total / n) / (n - 1);
    return var < 0 ? 0 : std::sqrt(var);
}

void Histogram::collect(double x)
{
    all.collect(x);
    if (binsReady)
        insert(x);
    else {
        precollected.push_back(x);
        if ((int)precollected.size() == PRECOLLECT)
            setUpBins();
    }
}

void Histogram::setUpBins()
{
    if (binsReady || precollected.empty())
        return;
    auto [mn, mx] = std::minmax_element(precollected.begin(), precollected.end());
    double range = *mx - *mn;
    double raw = (range > 0 ? range : std::max(std::fabs(*mx), 1.0)) / 30;
    double magnitude = std::pow(10, std::floor(std::log10(raw)));
    width = raw <= magnitude ? magnitude : raw <= 2 * magnitude ? 2 * magnitude : raw <= 5 * magnitude ? 5 * magnitude : 10 * magnitude;
    lo = *mn >= 0 && *mn <= range ? 0 : std::floor(*mn / width) * width;
    counts.assign(1, 0);
    binsReady = true;
    for (double x : precollected)
        insert(x);
    precollected.clear();
}

void Histogram::insert(double x)
{
    if (x < lo) {
        under++;
        return;
    }
    int bin = (int)std::floor((x - lo) / width);
    while (bin >= MAX_BINS) {  // merge pairs of bins: same range start, double width
        if (counts.size() % 2)
            counts.push_back(0);
        for (size_t i = 0; i < counts.size() / 2; i++)
            counts[i] = counts[2 * i] + counts[2 * i + 1];
        counts.resize(counts.size() / 2);
        width *= 2;
        bin = (int)std::floor((x - lo) / width);
    }
    if (bin >= (int)counts.size())
        counts.resize(bin + 1, 0);
    counts[bin]++;
}
