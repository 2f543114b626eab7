// Chunking: sentence-bounded pieces of at most chunk_size characters, overlapping by up to
// chunk_overlap characters of whole sentences, never crossing a heading (the heading stays as context).
import { sentences } from "../../ai/text";
import type { Section } from "./extract";

export interface Chunk {
  heading: string;
  content: string;
}

export interface ChunkOptions {
  chunkSize: number;
  chunkOverlap: number;
}

/** Sentences of a section; lines without end punctuation (lists, CSV rows) count as sentences. */
function units(text: string, size: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    for (const line of paragraph.split(/\n/)) {
      const clean = line.replace(/\s+/g, " ").trim();
      if (!clean) continue;
      for (const s of sentences(clean)) {
        if (s.length <= size) out.push(s);
        else out.push(...hardSplit(s, size));
      }
    }
  }
  return out;
}

/** A "sentence" longer than a chunk: split on word boundaries. */
function hardSplit(text: string, size: number): string[] {
  const out: string[] = [];
  let current = "";
  for (const word of text.split(" ")) {
    if (word.length > size) {
      if (current) out.push(current);
      for (let i = 0; i < word.length; i += size) out.push(word.slice(i, i + size));
      current = "";
      continue;
    }
    if (current && current.length + 1 + word.length > size) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) out.push(current);
  return out;
}

export function chunkSections(sections: Section[], opts: ChunkOptions): Chunk[] {
  const size = Math.max(50, opts.chunkSize);
  const overlap = Math.max(0, Math.min(opts.chunkOverlap, Math.floor(size / 2)));
  const chunks: Chunk[] = [];
  for (const section of sections) {
    const parts = units(section.text, size);
    let current: string[] = [];
    let length = 0;
    // Sentences carried over from the previous chunk: emitted only together with new text.
    let carried = 0;
    const emit = () => {
      if (current.length > carried) chunks.push({ heading: section.heading, content: current.join(" ") });
    };
    for (const part of parts) {
      const added = length ? length + 1 + part.length : part.length;
      if (added > size && current.length > carried) {
        emit();
        // Overlap: the last whole sentences that fit in chunk_overlap.
        const tail: string[] = [];
        let tailLength = 0;
        for (let i = current.length - 1; i >= 0; i--) {
          const s = current[i]!;
          if (tailLength + s.length + 1 > overlap || tailLength + s.length + 1 + part.length > size) break;
          tail.unshift(s);
          tailLength += s.length + 1;
        }
        current = tail;
        carried = tail.length;
        length = tail.join(" ").length;
      }
      current.push(part);
      length = current.join(" ").length;
    }
    emit();
  }
  return chunks;
}
