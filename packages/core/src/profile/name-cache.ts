/** Address → the name a lookup gave it, bounded: the oldest entry goes first when full. */
export class NameCache {
  private readonly names = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  set(ip: string, name: string): void {
    // Re-insert so that Map order stays least recently learned first.
    this.names.delete(ip);
    this.names.set(ip, name);
    if (this.names.size > this.capacity) this.names.delete(this.names.keys().next().value!);
  }

  get(ip: string): string | undefined {
    return this.names.get(ip);
  }

  get size(): number {
    return this.names.size;
  }
}
