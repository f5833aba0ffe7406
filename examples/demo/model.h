// The demo model: network `Net`, a Source emitting jobs, `numStations` Queue stations
// in tandem (exponential service by default, optional finite `capacity`), and a Sink.
// CPU work grows with the number of jobs (arrival rate x sim-time-limit) and stations.
#pragma once

#include <string>

#include "sim.h"

// Creates the modules of the named network in `sim`; throws Error for an unknown network.
void buildNetwork(Simulation& sim, const std::string& networkName);
