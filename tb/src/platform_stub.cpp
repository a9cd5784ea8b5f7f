// placeholder so the platform library exists while it is built
namespace dbvp { int platform_placeholder = 0; }
