This file has no Feature keyword.
