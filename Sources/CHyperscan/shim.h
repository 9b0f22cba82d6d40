// Hyperscan (Debian's libhyperscan-dev, pkg-config libhs) for Swift.
#include <hs/hs.h>
