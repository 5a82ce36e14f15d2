// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title WrappedOMNIT
/// @notice OMNIT on a remote chain: minted and burned only by its gateway, which deploys it.
contract WrappedOMNIT is ERC20 {
    /// @notice The only minter and burner.
    address public immutable gateway;

    /// @notice Caller is not the gateway.
    error NotGateway(address caller);

    constructor() ERC20("Wrapped OmniTensor", "wOMNIT") {
        gateway = msg.sender;
    }

    /// @notice Mint (gateway only).
    function mint(address to, uint256 amount) external {
        if (msg.sender != gateway) revert NotGateway(msg.sender);
        _mint(to, amount);
    }

    /// @notice Burn from `from` (gateway only; the gateway burns only its caller's tokens).
    function burn(address from, uint256 amount) external {
        if (msg.sender != gateway) revert NotGateway(msg.sender);
        _burn(from, amount);
    }
}
