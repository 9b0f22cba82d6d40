import Foundation

/// How long a console session lives: `absolute` from sign-in, `idle` since its last page.
package struct ConsoleSessionPolicy: Sendable {
    package var absolute: TimeInterval
    package var idle: TimeInterval
    package init(absolute: TimeInterval = 8 * 3_600, idle: TimeInterval = 30 * 60) {
        self.absolute = absolute
        self.idle = idle
    }
}
