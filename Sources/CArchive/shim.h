// libarchive (Debian's libarchive-dev, pkg-config libarchive) for Swift: the scanner reads
// archives and container images from memory and streams with it, never writing to disk.
#include <archive.h>
#include <archive_entry.h>

// AE_IFREG is a cast macro, which Swift does not import.
static inline int keyward_archive_entry_is_regular(struct archive_entry *entry) {
    return archive_entry_filetype(entry) == AE_IFREG;
}
