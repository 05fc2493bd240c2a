/**
 * The one error catalogue: every error code the service answers with, its HTTP
 * status and the Indonesian text listeners and broadcasters see.
 * HTTP errors are `{"error": code, "message": text}` (contract).
 */
export const httpErrors = {
  invalid_payload: { status: 400, message: 'Data yang dikirim tidak valid.' },
  name_reserved: { status: 400, message: 'Nama ini dipakai penyiar. Silakan pilih nama lain.' },
  invalid_credentials: { status: 401, message: 'Nama pengguna atau kata sandi salah.' },
  unauthorized: { status: 401, message: 'Token tidak ada, tidak valid, atau sudah kedaluwarsa.' },
  forbidden: { status: 403, message: 'Akses ditolak.' },
  manager_only: { status: 403, message: 'Hanya manajer yang boleh melakukan ini.' },
  banned: { status: 403, message: 'Anda diblokir dari obrolan ini.' },
  account_disabled: { status: 403, message: 'Akun ini dinonaktifkan. Hubungi manajer stasiun.' },
  origin_forbidden: { status: 403, message: 'Origin ini tidak diizinkan.' },
  not_found: { status: 404, message: 'Tidak ditemukan.' },
  username_taken: { status: 409, message: 'Nama pengguna ini sudah dipakai.' },
  last_manager: { status: 409, message: 'Harus tetap ada setidaknya satu manajer yang aktif.' },
  payload_too_large: { status: 413, message: 'Data yang dikirim terlalu besar.' },
  rate_limited: { status: 429, message: 'Terlalu banyak permintaan. Coba lagi sebentar lagi.' },
  internal_error: { status: 500, message: 'Terjadi kesalahan pada server.' },
  unavailable: { status: 503, message: 'Layanan sedang tidak tersedia. Coba lagi sebentar lagi.' },
} as const;
export type HttpErrorCode = keyof typeof httpErrors;

/** Thrown by route handlers; the error middleware turns it into the contract's JSON shape. */
export class HttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: HttpErrorCode,
    message?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? httpErrors[code].message);
    this.name = 'HttpError';
    this.status = httpErrors[code].status;
  }
}

export function errorBody(code: HttpErrorCode, message?: string): { error: HttpErrorCode; message: string } {
  return { error: code, message: message ?? httpErrors[code].message };
}

/** Texts of the WebSocket `error:*` events. */
export const wsMessages = {
  notJson: 'Frame harus berupa satu objek JSON {"event", "data"}.',
  binary: 'Frame biner tidak didukung; kirim teks JSON.',
  unknownEvent: (event: string) => `Event tidak dikenal: ${event.slice(0, 64)}`,
  invalidFields: (detail: string) => `Data tidak valid: ${detail}`,
  textEmpty: 'Pesan kosong setelah dibersihkan.',
  textTooLong: 'Pesan lebih dari 1000 karakter.',
  unknownSession: 'Sesi tidak ditemukan.',
  unknownLastMessageId: 'lastMessageId tidak valid; riwayat tidak dikirim ulang.',
  unavailable: 'Pesan belum tersimpan karena layanan sedang bermasalah. Silakan kirim ulang.',
  tokenExpired: 'Token sudah kedaluwarsa. Silakan sambung ulang dengan token baru.',
  accountRemoved: 'Akun penyiar ini sudah dihapus.',
  loggedOut: 'Anda sudah keluar. Silakan masuk lagi.',
  accountEnded: 'Akun ini dinonaktifkan atau kata sandinya diganti. Silakan masuk lagi.',
  banned: 'Anda diblokir dari obrolan ini.',
  rateLimitAbuse: 'Terlalu banyak pesan ditolak.',
  shuttingDown: 'Server sedang dimatikan.',
} as const;
