// Compiles Boost.Asio, Asio's TLS support and Boost.Beast once for the SDK
// (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION are set on gaon_sdk's
// sources), so transport.cpp only instantiates what it uses.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
