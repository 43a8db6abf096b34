/**
 * The card shown over a hovered point: its id, its header's description, label and cluster, and a preview of the record —
 * a text excerpt, a PNG thumbnail, or raw pixels drawn to a canvas. For an autoencoder the
 * reconstruction sits beside the original. Built with DOM nodes and textContent only: record
 * text is data, never markup.
 */
import { base64ToBytes, type DecodedMap, type Preview } from './messages';

/** Pixel previews are drawn at their size and scaled up to this (CSS, pixelated). */
const THUMB_PX = 96;

export class HoverCard {
  readonly element: HTMLElement;

  constructor(parent: HTMLElement) {
    this.element = el('div', 'hover-card');
    this.element.hidden = true;
    this.element.setAttribute('role', 'tooltip');
    parent.appendChild(this.element);
  }

  show(map: DecodedMap, index: number, clientX: number, clientY: number): void {
    const card = this.element;
    card.replaceChildren();
    card.dataset['index'] = String(index);
    card.appendChild(el('div', 'hover-id', map.ids[index]!));
    // FASTA/FASTQ: the header's description (`Genus species`), what the user knows the record by.
    const description = map.descriptions?.[index];
    if (description) card.appendChild(el('div', 'hover-description', description));
    const facts: string[] = [];
    const label = map.labels?.[index];
    if (label !== undefined) facts.push(label === null ? 'no label' : `label ${label}`);
    const cluster = map.clusters?.[index];
    if (cluster !== undefined) facts.push(cluster < 0 ? 'noise' : `cluster ${cluster}`);
    if (facts.length) card.appendChild(el('div', 'hover-facts', facts.join(' · ')));
    const original = map.previews?.[index] ?? null;
    const recon = map.reconstructions?.[index] ?? null;
    if (original && recon) {
      const row = el('div', 'hover-pair');
      row.append(figure(original, 'original'), figure(recon, 'reconstruction'));
      card.appendChild(row);
    } else if (original) {
      card.appendChild(render(original));
    } else if (recon) {
      card.appendChild(figure(recon, 'reconstruction'));
    }
    card.hidden = false;
    this.place(clientX, clientY);
  }

  hide(): void {
    this.element.hidden = true;
    delete this.element.dataset['index'];
  }

  /** Beside the pointer, flipped to the other side where it would leave the window. */
  private place(clientX: number, clientY: number): void {
    const card = this.element;
    const gap = 14;
    const { width, height } = card.getBoundingClientRect();
    let left = clientX + gap;
    let top = clientY + gap;
    if (left + width > window.innerWidth) left = Math.max(0, clientX - gap - width);
    if (top + height > window.innerHeight) top = Math.max(0, clientY - gap - height);
    card.style.left = `${left}px`;
    card.style.top = `${top}px`;
  }
}

function figure(preview: Preview, caption: string): HTMLElement {
  const f = el('figure', 'hover-figure');
  f.append(render(preview), el('figcaption', '', caption));
  return f;
}

function render(preview: Preview): HTMLElement {
  switch (preview.type) {
    case 'text':
      return el('pre', 'hover-text', preview.text);
    case 'png': {
      const img = document.createElement('img');
      img.className = 'hover-image';
      img.alt = '';
      img.src = `data:image/png;base64,${preview.base64}`;
      return img;
    }
    case 'pixels':
      return pixelCanvas(preview);
  }
}

function pixelCanvas(p: Extract<Preview, { type: 'pixels' }>): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.className = 'hover-image';
  canvas.width = p.width;
  canvas.height = p.height;
  const scale = THUMB_PX / Math.max(p.width, p.height);
  canvas.style.width = `${Math.round(p.width * scale)}px`;
  canvas.style.height = `${Math.round(p.height * scale)}px`;
  const bytes = typeof p.data === 'string' ? base64ToBytes(p.data) : Uint8Array.from(p.data);
  const image = new ImageData(p.width, p.height);
  const rgba = image.data;
  for (let i = 0, n = p.width * p.height; i < n; i++) {
    const s = i * p.channels;
    const d = 4 * i;
    if (p.channels === 1) {
      rgba[d] = rgba[d + 1] = rgba[d + 2] = bytes[s]!;
      rgba[d + 3] = 255;
    } else {
      rgba[d] = bytes[s]!;
      rgba[d + 1] = bytes[s + 1]!;
      rgba[d + 2] = bytes[s + 2]!;
      rgba[d + 3] = p.channels === 4 ? bytes[s + 3]! : 255;
    }
  }
  canvas.getContext('2d')?.putImageData(image, 0, 0);
  return canvas;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}
