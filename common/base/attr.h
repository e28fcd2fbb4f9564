/* attr.h: compiler attribute wrappers used across the tree. */
#ifndef MASA_ATTR_H
#define MASA_ATTR_H

#define MASA_NODISCARD __attribute__((warn_unused_result))
#define MASA_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#define MASA_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

#endif
