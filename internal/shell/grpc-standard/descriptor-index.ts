import type { DescExtension, DescFile, DescMessage } from '@bufbuild/protobuf'
import { nestedTypes } from '@bufbuild/protobuf/reflect'

/** What server reflection looks up: files by name, symbol and extension, over a set of files and their imports. */
export interface DescriptorIndex {
  /** The full names of the services declared in the given files (not in their imports), in order. */
  readonly services: readonly string[]
  /** A file by its path, e.g. "gatehouse/storage/v1/storage.proto". */
  fileByName(name: string): DescFile | undefined
  /** The file declaring a fully qualified symbol: a message, enum, enum value, field, oneof, service, method or extension. */
  fileBySymbol(symbol: string): DescFile | undefined
  /** The extension of `extendee` (a message's full name) with this field number. */
  extension(extendee: string, number: number): DescExtension | undefined
  /** The field numbers of the known extensions of a message type; undefined when the type is unknown. */
  extensionNumbers(extendee: string): number[] | undefined
}

/** Every file of `files` and of their transitive imports, each once, dependencies after their dependents. */
function withDependencies(files: readonly DescFile[]): DescFile[] {
  const seen = new Map<string, DescFile>()
  const queue = [...files]
  for (let file = queue.shift(); file; file = queue.shift()) {
    if (seen.has(file.proto.name)) continue
    seen.set(file.proto.name, file)
    queue.push(...file.dependencies)
  }
  return [...seen.values()]
}

export function createDescriptorIndex(files: readonly DescFile[]): DescriptorIndex {
  const byName = new Map<string, DescFile>()
  const bySymbol = new Map<string, DescFile>()
  const messages = new Set<string>()
  const extensions = new Map<string, Map<number, DescExtension>>()
  for (const file of withDependencies(files)) {
    byName.set(file.proto.name, file)
    for (const type of nestedTypes(file)) {
      bySymbol.set(type.typeName, file)
      switch (type.kind) {
        case 'message':
          messages.add(type.typeName)
          for (const member of [...type.fields, ...type.oneofs]) bySymbol.set(`${type.typeName}.${member.name}`, file)
          break
        case 'enum':
          // Enum values are siblings of their enum in protobuf's scoping ("pkg.VALUE", not "pkg.Enum.VALUE").
          for (const value of type.values) bySymbol.set(`${scopeOf(type.typeName)}${value.name}`, file)
          break
        case 'service':
          for (const method of type.methods) bySymbol.set(`${type.typeName}.${method.name}`, file)
          break
        case 'extension':
          addExtension(extensions, type.extendee, type)
          break
      }
    }
  }
  return {
    services: [...new Set(files.flatMap((file) => file.services.map((service) => service.typeName)))],
    fileByName: (name) => byName.get(name),
    fileBySymbol: (symbol) => bySymbol.get(symbol.startsWith('.') ? symbol.slice(1) : symbol),
    extension: (extendee, number) => extensions.get(extendee)?.get(number),
    extensionNumbers: (extendee) => (messages.has(extendee) ? [...(extensions.get(extendee)?.keys() ?? [])] : undefined),
  }
}

/** "pkg.Enum" -> "pkg.", "Enum" -> "". */
function scopeOf(typeName: string): string {
  return typeName.slice(0, typeName.lastIndexOf('.') + 1)
}

function addExtension(extensions: Map<string, Map<number, DescExtension>>, extendee: DescMessage, extension: DescExtension): void {
  const numbers = extensions.get(extendee.typeName) ?? new Map<number, DescExtension>()
  numbers.set(extension.number, extension)
  extensions.set(extendee.typeName, numbers)
}
