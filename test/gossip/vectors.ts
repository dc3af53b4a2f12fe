/**
 * Test vectors from MEMBERLIST.md section 10, produced by Debian's memberlist 0.2.2 Go code itself.
 * Key 00..0f (AES-128), nonce 00..0b, 127.0.0.1 as 4 bytes, port 7946.
 */
export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

export const KEY = hex('000102030405060708090a0b0c0d0e0f');
export const NONCE = hex('000102030405060708090a0b');
export const WRONG_KEY = hex('0f0e0d0c0b0a09080706050403020100');
export const LOCALHOST = Buffer.from([127, 0, 0, 1]);

export const V1_PING = hex('00 82 a4 4e 6f 64 65 a1 62 a5 53 65 71 4e 6f 2a');
export const V2_PING_SOURCE = hex(`
00 85 a4 4e 6f 64 65 a6 6e 6f 64 65 2d 62 a5 53 65 71 4e 6f 01 aa 53 6f 75 72 63 65 41 64 64 72
a4 7f 00 00 01 aa 53 6f 75 72 63 65 4e 6f 64 65 a6 6e 6f 64 65 2d 61 aa 53 6f 75 72 63 65 50 6f
72 74 cd 1f 0a`);
export const V3_INDIRECT = hex(`
01 88 a4 4e 61 63 6b c3 a4 4e 6f 64 65 a6 6e 6f 64 65 2d 63 a4 50 6f 72 74 cd 1f 0a a5 53 65 71
4e 6f 07 aa 53 6f 75 72 63 65 41 64 64 72 a4 7f 00 00 01 aa 53 6f 75 72 63 65 4e 6f 64 65 a6 6e
6f 64 65 2d 61 aa 53 6f 75 72 63 65 50 6f 72 74 cd 1f 0a a6 54 61 72 67 65 74 a4 0a 00 00 02`);
export const V4_ACK_NIL = hex('02 82 a7 50 61 79 6c 6f 61 64 c0 a5 53 65 71 4e 6f 01');
export const V4_ACK_PAYLOAD = hex('02 82 a7 50 61 79 6c 6f 61 64 a2 de ad a5 53 65 71 4e 6f cd 01 2c');
export const V5_NACK = hex('0b 81 a5 53 65 71 4e 6f ce 00 01 11 70');
export const V5_ERR = hex('0d 81 a5 45 72 72 6f 72 a4 62 6f 6f 6d');
export const V6_SUSPECT = hex(`
03 83 a4 46 72 6f 6d a6 6e 6f 64 65 2d 61 ab 49 6e 63 61 72 6e 61 74 69 6f 6e 03 a4 4e 6f 64 65
a6 6e 6f 64 65 2d 62`);
export const V6_DEAD = hex(`
05 83 a4 46 72 6f 6d a6 6e 6f 64 65 2d 61 ab 49 6e 63 61 72 6e 61 74 69 6f 6e 05 a4 4e 6f 64 65
a6 6e 6f 64 65 2d 61`);
export const V7_ALIVE = hex(`
04 86 a4 41 64 64 72 a4 7f 00 00 01 ab 49 6e 63 61 72 6e 61 74 69 6f 6e 01 a4 4d 65 74 61 c0 a4
4e 6f 64 65 a6 6e 6f 64 65 2d 61 a4 50 6f 72 74 cd 1f 0a a3 56 73 6e a6 01 05 02 00 00 00`);
export const V8_USER_HEADER = hex('08 81 aa 55 73 65 72 4d 73 67 4c 65 6e 05');
export const V9_COMPOUND = Buffer.concat([hex('07 02 00 45 00 27'), V2_PING_SOURCE, V6_SUSPECT]);
export const V10_COMPRESS = hex(`
09 82 a4 41 6c 67 6f 00 a3 42 75 66 b5 00 a9 3c 11 52 e4 89 14 27 4f a8 08 24 68 70 61 c1 83 09
03 02`);
export const V11_ENC_V0 = hex(`
00 00 01 02 03 04 05 06 07 08 09 0a 0b 93 ee 03 80 09 7f 92 f5 29 77 32 ef 47 ed 1f 22 a3 36 0a
f6 43 fd ed e6 f6 31 e1 3d 04 54 b2 7c 07 88 37 98 ae ff 8d 22 98 9c ef 75 11 d1 cd 79`);
export const V12_ENC_V1 = hex(`
01 00 01 02 03 04 05 06 07 08 09 0a 0b 93 ee 03 80 09 7f 92 f5 29 77 32 ef 47 ed 1f 22 98 0a 33
a6 f9 a4 89 b2 62 13 7e 55 fa de 42 20`);
export const V13_CRC = hex('0c a8 7c c0 fb 00 82 a4 4e 6f 64 65 a1 62 a5 53 65 71 4e 6f 2a');
export const V14_UDP_ALIVE_ENC = hex(`
01 00 01 02 03 04 05 06 07 08 09 0a 0b 97 ea 03 8f 02 7f 85 f0 34 d2 61 8b 9d ea 1e 6b d2 54 74
87 27 84 92 98 e7 85 bc 48 60 25 62 c8 cb cb bf 92 52 ee d8 87 25 d9 68 43 90 e6 a5 e6 01 80 1e
53 52 f4 58 dd 2f 4b 70 d2 aa 4c f7 23 97 d7 e1 bd 66 c2 c7 5a b9 14 56 d3 b6 70`);
export const V15_PUSH_PULL = hex(`
06 83 a4 4a 6f 69 6e c3 a5 4e 6f 64 65 73 01 ac 55 73 65 72 53 74 61 74 65 4c 65 6e 00 87 a4 41
64 64 72 a4 7f 00 00 01 ab 49 6e 63 61 72 6e 61 74 69 6f 6e 01 a4 4d 65 74 61 c0 a4 4e 61 6d 65
a6 6e 6f 64 65 2d 61 a4 50 6f 72 74 cd 1f 0a a5 53 74 61 74 65 00 a3 56 73 6e a6 01 05 02 00 00
00`);
export const V16_STREAM = hex(`
0a 00 00 00 95 01 00 01 02 03 04 05 06 07 08 09 0a 0b 9a ee 03 8f 0a 7c 98 54 e8 90 14 ec ec a3
19 08 be 2a 38 43 b7 a0 e7 c1 25 6b c8 54 57 e2 6e f0 85 08 71 3b dd a3 d0 e9 dd c4 7d 2d f0 a0
34 94 0c be 46 b1 cc 17 a7 38 c4 41 72 d2 ab 1a 33 95 a9 28 79 52 68 54 19 a2 52 23 f1 0b ef 08
1f da f9 de 97 cd 44 85 ce ac ee 6b ae c6 3a 5d 1e 3f 12 cd 7f ef b6 ab 4b 31 2c 3a 7e 53 41 db
11 96 72 d3 be e4 3f 49 1a e9 5d 48 08 35 cb 7e e7 6d 1e bc ff e3 26 2f 07 51`);
