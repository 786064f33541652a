/** Every failure reading, verifying or decoding data (IDX, bundles, image folders) is a `DataError`. */
export class DataError extends Error {
  override name = 'DataError';
}
